import type { EXCHANGE } from '../cli/commands';
import { storeOf, userSlot } from '../lifecycle/stores';
import type { OptionsFor } from '../cli/spec';
import { parseCallbackInput } from '../authorize/callback-input';
import { loadConfig, type Config } from '../config/config';
import { formatDuration, secondsLeft } from '../token/expiry';
import { HhOauthError, reauthorizeError, usageError } from '../errors';
import { log, printable, result } from '../output';
import { markUsed } from '../authorize/pending-authorizations';
import { authorizationFor } from '../authorize/match-callback';
import { storeNewGrant } from '../lifecycle/new-grant';
import { readStdinLine } from '../stdin';

/** Typed from the command's declaration (EXCHANGE in src/cli/commands.ts). */
export type ExchangeOptions = OptionsFor<typeof EXCHANGE>;

export default async function exchange(input: string | undefined, opts: ExchangeOptions): Promise<void> {
  let config = loadConfig(opts, { HH_REDIRECT_URI: opts.redirectUri });
  const raw = input === undefined || input === '-' ? await readStdinLine('Paste the callback URL (or the code): ') : input;
  const callback = parseCallbackInput(raw);

  if (callback.error) {
    const why = callback.error === 'access_denied' ? 'access was denied at hh.ru (the user pressed "deny")' : `hh.ru redirected with error "${printable(callback.error)}"`;
    throw reauthorizeError(`${why}; nothing was sent to hh.ru`, 'run `hh-oauth authorize-url` again and allow access');
  }
  const pending = await authorizationFor(callback, opts.state);
  if (pending?.profile !== undefined) config = profileOf(config, pending.profile);

  let redirectUri: string | undefined;
  if (pending) {
    redirectUri = pending.redirect_uri ?? undefined;
    if (opts.redirectUri !== undefined && opts.redirectUri !== redirectUri) {
      throw usageError('--redirect-uri differs from the one authorize-url used; hh.ru requires the identical string', 'drop --redirect-uri');
    }
  } else {
    redirectUri = config.optionalUrl('HH_REDIRECT_URI', 'exchange');
  }

  const authorization = { clientId: config.require('HH_CLIENT_ID', 'exchange'), clientSecret: config.clientSecret('exchange'), code: callback.code!, redirectUri };

  // Only hh.ru's answer uses up a code: its pair, or a refusal that says the code is dead; after
  // a temporary failure, a wrong client secret or a local one (full disk: nothing was sent) the
  // same callback URL must still work. Recorded while the stop signals are still held, so that
  // a signal during the grant cannot end the run before this and the error report.
  const answered = async (err?: unknown) => {
    if (pending && (err === undefined || codeIsDead(err))) await markUsed(pending.state);
  };
  const expiresAt = await storeNewGrant(config, authorization, answered);

  const store = await storeOf(config);
  const tokenFile = store.locate(userSlot(config));
  log.info(`stored the token in ${tokenFile}; it expires ${expiresAt.toISOString()} (in ${formatDuration(secondsLeft(expiresAt))})`);
  result({ status: 'stored', token_file: tokenFile, ...(store.kind === 'file' ? {} : { store: store.describe() }), expires_at: expiresAt.toISOString() });
}

/**
 * Only hh.ru saying the code is used, expired or unknown kills an authorization. After
 * any other failure (a wrong client secret, a bad redirect URI, hh.ru unreachable, a full
 * disk, an unreadable secret: the code was not spent) the same callback must still work.
 */
function codeIsDead(err: unknown): boolean {
  return err instanceof HhOauthError && err.hhError !== undefined && err.code === 'reauthorize';
}

/** The token goes to the profile authorize-url was run for; naming another one here is a mistake, not a choice. */
function profileOf(config: Config, started: string): Config {
  if (!config.profileChosen()) return config.forProfile(started);
  if (config.profileName() === started) return config;
  throw usageError(
    `this authorization was started for profile ${started}, but exchange was asked to store it in profile ${config.profileName()}`,
    `run \`hh-oauth --profile ${started} exchange -\`, or start again with \`hh-oauth --profile ${config.profileName()} authorize-url\``,
  );
}
