import { readAppToken } from '../app-token';
import { loadConfig, type GlobalOptions } from '../config';
import { isDue, secondsLeft } from '../expiry';
import { reauthorizeError, usageError } from '../errors';
import { result } from '../output';
import { loadToken, refreshIfDue } from '../refresher';

export interface TokenOptions extends GlobalOptions {
  header?: boolean;
  show?: boolean;
  app?: boolean;
}

/**
 * `hh-oauth token`: the one command that prints a secret, and only on stdout, for
 * `curl -H "Authorization: Bearer $(hh-oauth token)"`. It refuses a terminal unless
 * --show is given, so that a token does not land in scrollback or a screen recording.
 */
export default async function token(opts: TokenOptions): Promise<void> {
  if (process.stdout.isTTY && !opts.show) {
    throw usageError(
      'refusing to print the token to a terminal',
      'pipe it or use it in $(…), e.g. curl -H "$(hh-oauth token --header)" …; add --show to print it here anyway',
    );
  }
  const config = loadConfig(opts);
  let value: string;
  let expiresAt: Date | null = null;
  if (opts.app) {
    const app = await readAppToken(config);
    if (!app) throw reauthorizeError('there is no application token yet', 'run `hh-oauth app-token` first');
    value = app.accessToken;
  } else {
    // Expired: refresh first (locked, and a no-op if another process just did it).
    if (isDue((await loadToken(config)).expiresAt)) await refreshIfDue(config);
    const stored = await loadToken(config);
    value = stored.accessToken;
    expiresAt = stored.expiresAt;
  }
  printToken(value, expiresAt, opts.header);
}

/** Shared with the hot path (src/hot/token.ts), which prints a valid user token itself. */
export function printToken(value: string, expiresAt: Date | null, asHeader?: boolean): void {
  const header = `Authorization: Bearer ${value}`;
  result(
    {
      access_token: value,
      token_type: 'bearer',
      ...(asHeader ? { header } : {}),
      expires_at: expiresAt?.toISOString() ?? null,
      seconds_left: expiresAt ? Math.max(0, secondsLeft(expiresAt)) : null,
    },
    asHeader ? header : value,
  );
}
