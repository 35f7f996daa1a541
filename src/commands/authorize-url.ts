import type { AUTHORIZE_URL } from '../cli/commands';
import type { OptionsFor } from '../cli/spec';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../config/config';
import { usageError } from '../errors';
import { log, result } from '../output';
import { savePending } from '../authorize/pending-authorizations';
import { buildAuthorizeUrl } from '../authorize/url';
import { openBrowser } from '../system/browser';

/** Typed from the command's declaration (AUTHORIZE_URL in src/cli/commands.ts). */
export type AuthorizeUrlOptions = OptionsFor<typeof AUTHORIZE_URL>;

const STATE = /^[\x21-\x7e]{1,256}$/;

export default async function authorizeUrl(opts: AuthorizeUrlOptions): Promise<void> {
  const config = loadConfig(opts, { HH_REDIRECT_URI: opts.redirectUri });
  if (opts.state !== undefined && !STATE.test(opts.state)) throw usageError('--state must be 1–256 printable characters without spaces', 'leave out --state to get a random one');
  const clientId = config.require('HH_CLIENT_ID', 'authorize-url');
  const redirectUri = config.optionalUrl('HH_REDIRECT_URI', 'authorize-url');
  const state = opts.state ?? randomBytes(16).toString('hex');
  const url = buildAuthorizeUrl(config.url('HH_AUTHORIZE_URL', 'authorize-url'), {
    clientId,
    state,
    redirectUri,
    forceLogin: opts.forceLogin,
    skipChooseAccount: opts.skipChooseAccount,
  });
  const profile = config.profileChosen() ? { profile: config.profileName() } : {};
  await savePending({ state, redirect_uri: redirectUri ?? null, created_at: new Date().toISOString(), ...profile });
  if (redirectUri === undefined) log.warn('HH_REDIRECT_URI is not set: hh.ru will use the redirect URI registered for the application');

  result({ url, state, redirect_uri: redirectUri ?? null }, url);
  log.info('open the URL above, allow access, then run `hh-oauth exchange -` and paste the address you land on (valid 15 minutes)');
  if (opts.open) await openBrowser(url);
}
