import type { TOKEN } from '../cli/hot-commands';
import type { OptionsFor } from '../cli/spec';
import { readStoredAppToken } from '../lifecycle/app-token';
import { loadConfig } from '../config/config';
import { reauthorizeError, usageError } from '../errors';
import { printToken } from '../lifecycle/answers';
import { freshToken } from '../lifecycle/fresh-token';

/** Typed from the command's declaration (TOKEN in src/cli/hot-commands.ts). */
export type TokenOptions = OptionsFor<typeof TOKEN>;

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
    const app = await readStoredAppToken(config);
    if (!app) throw reauthorizeError('there is no application token yet', 'run `hh-oauth app-token` first');
    value = app.accessToken;
  } else {
    const { token: stored } = await freshToken(config);
    value = stored.accessToken;
    expiresAt = stored.expiresAt;
  }
  printToken(value, expiresAt, opts.header);
}
