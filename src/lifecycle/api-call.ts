import type { Config } from '../config/config';
import { HhOauthError } from '../errors';
import { hhClient } from '../hh/client';
import { freshToken } from './fresh-token';

/** GET /me with the stored token; `whoami` and `login` (for its closing summary) use it. */
export async function fetchMe(config: Config): Promise<{ me: Record<string, unknown>; expiresAt: Date }> {
  const { body, expiresAt } = await fetchApi(config, '/me');
  return { me: body, expiresAt };
}

/** An API GET with the stored token, refreshing first when it has expired, and once more if hh.ru says so. */
export async function fetchApi(config: Config, path: string): Promise<{ body: Record<string, unknown>; expiresAt: Date }> {
  const client = hhClient(config);
  // X-Manager-Account-Id goes to API calls only, never to the token endpoint; listing
  // the manager accounts needs none.
  const api = path === '/manager_accounts/mine' ? client : hhClient(config, config.apiHeaders());
  let { token } = await freshToken(config, { client });
  let response;
  try {
    response = await api.api('GET', path, token.accessToken);
  } catch (err) {
    if (!(err instanceof HhOauthError)) throw err;
    // manager_extra_accounts: an id that is none of this token's; manager_accounts: a blocked one.
    if (err.hhError === 'manager_accounts' || err.hhError === 'manager_extra_accounts') throw managerAccountRefused(err);
    // Our clock and hh.ru's disagree: hh.ru is the judge, so refresh once and retry.
    if (err.hhErrorDescription !== 'token_expired') throw err;
    ({ token } = await freshToken(config, { client, force: true }));
    response = await api.api('GET', path, token.accessToken);
  }
  return { body: (response.json ?? {}) as Record<string, unknown>, expiresAt: token.expiresAt };
}

function managerAccountRefused(err: HhOauthError): HhOauthError {
  const notEmployer = err.hhErrorDescription === 'not_employer';
  return new HhOauthError(err.code, notEmployer ? 'this token is not an employer\'s: it has no manager accounts' : 'hh.ru refused the manager account (X-Manager-Account-Id) for this token', {
    hhError: err.hhError,
    hhErrorDescription: err.hhErrorDescription,
    suggestion: notEmployer
      ? 'drop --manager-account / HH_MANAGER_ACCOUNT_ID for this profile'
      : 'list the ids this token may use with `hh-oauth whoami --manager-accounts`, then fix --manager-account, HH_MANAGER_ACCOUNT_ID or `hh-oauth profiles set manager-account`',
  });
}
