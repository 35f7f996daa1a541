import { accountRef, EMPLOYER_ACCOUNTS } from './personas';
import { newRequestId } from './secrets';
import type { Reply } from './types';

/**
 * hh.ru's error bodies, in its two shapes, and nothing hh.ru does not document:
 * - the API shape, `{errors: [{type, value?, …}], request_id}` (hhru/api docs/errors.md;
 *   the specification requires request_id in it);
 * - the token endpoint's RFC 6749 shape, `{error, error_description}`, with the pairs of the
 *   error reference's table only. Reported hh.ru answers of this shape carry no request_id
 *   (hhru/api issues 553, 580); the X-Request-Id header that every answer has carries it.
 */
export interface ErrorEntry {
  type: string;
  value?: string;
  [key: string]: unknown;
}

export function apiError(status: number, errors: ErrorEntry | ErrorEntry[], extra: Record<string, unknown> = {}): Reply {
  return { status, body: { errors: Array.isArray(errors) ? errors : [errors], ...extra, request_id: newRequestId() } };
}

const NO_STORE = { 'cache-control': 'no-store' };

export function oauthError(error: string, description: string, status = 400): Reply {
  return { status, headers: NO_STORE, body: { error, error_description: description } };
}

/** `bad_user_agent`: `unset` when neither header was sent, `blacklisted` when hh.ru refuses the value. */
export const badUserAgent = (value: 'unset' | 'blacklisted'): Reply => apiError(400, { type: 'bad_user_agent', value });

/** A request hh.ru cannot read as one (a body that is not a form, too large, a method the path does not take). */
export const badRequest = (status = 400): Reply => apiError(status, { type: 'bad_request' });

/** A parameter hh.ru does not take, or takes once: the error reference's general `bad_argument`, `value` naming it. */
export const badArgument = (name: string, reason?: 'too_many_arguments'): Reply =>
  apiError(400, reason ? { type: 'bad_argument', value: name, reason } : { type: 'bad_argument', value: name });

export const notFound = (): Reply => apiError(404, { type: 'not_found' });

/** The `oauth_error` the specification pairs with an `oauth` value (ErrorsCommonBadAuthorizationErrors). */
const OAUTH_ERROR: Record<string, string> = {
  token_expired: 'token-expired',
  token_revoked: 'token-revoked',
  application_not_found: 'client-id-deleted',
};

export function oauth(value: string): Reply {
  const legacy = OAUTH_ERROR[value];
  return apiError(403, { type: 'oauth', value }, legacy ? { oauth_error: legacy } : {});
}

export interface AccountRef {
  id: string;
  employer: { id: string; name: string };
}

export const managerAccountNotFound = (): Reply =>
  apiError(403, { type: 'manager_extra_accounts', value: 'manager_extra_account_not_found' });

export const managerAccountBlocked = (allowed: AccountRef[]): Reply =>
  apiError(403, { type: 'manager_accounts', value: 'used_manager_account_forbidden', allowed_accounts: allowed });

/** The token endpoint's documented pairs (the error reference's table, the same as the specification's enums). */
const TOKEN_ENDPOINT_PAIRS: Array<[string, string, number?]> = [
  ['invalid_request', 'account not found'],
  ['invalid_request', 'account is locked'],
  ['invalid_request', 'password invalidated'],
  ['invalid_request', 'login not verified'],
  ['invalid_request', 'bad redirect url'],
  ['invalid_request', 'token is empty'],
  ['invalid_request', 'token not found'],
  ['invalid_request', 'code not found'],
  ['invalid_client', 'client_id or client_secret not found'],
  ['invalid_grant', 'token has already been refreshed'],
  ['invalid_grant', 'token not expired'],
  ['invalid_grant', 'token was revoked'],
  ['invalid_grant', 'bad token'],
  ['invalid_grant', 'code has already been used'],
  ['invalid_grant', 'code expired'],
  ['invalid_grant', 'code was revoke'],
  ['invalid_grant', 'token deactivated'],
  ['unsupported_grant_type', 'unsupported grant_type'],
  ['forbidden', 'app token refresh too early', 403],
];

/**
 * Every documented error of the sections hh-oauth must handle (oauth-get-errors, oauth,
 * user-agent, manager-accounts, captcha_required), by name, as `{kind: 'answer', documented}`
 * sends it. Names: `error/error_description` for the token endpoint's RFC bodies,
 * `type/value` for `errors[]` bodies. Each call makes a fresh request_id.
 * test/unit/sandbox/schemas.test.ts holds every entry to hh.ru's schemas.
 */
export const DOCUMENTED_ERRORS: Record<string, () => Reply> = {
  ...Object.fromEntries(TOKEN_ENDPOINT_PAIRS.map(([e, d, status]) => [`${e}/${d}`, () => oauthError(e, d, status)])),
  // The specification's 403 for the token endpoint is the errors[] shape, which has no value for this; the words go in `description`.
  'forbidden/app token refresh too early (errors[])': () =>
    apiError(403, { type: 'forbidden' }, { description: 'app token refresh too early' }),
  ...Object.fromEntries(
    ['bad_authorization', 'token_expired', 'token_revoked', 'application_not_found', 'user_auth_expected', 'application_auth_expected', 'no_scope'].map(
      (value) => [`oauth/${value}`, () => oauth(value)],
    ),
  ),
  forbidden: () => apiError(403, { type: 'forbidden' }),
  'bad_user_agent/unset': () => badUserAgent('unset'),
  'bad_user_agent/blacklisted': () => badUserAgent('blacklisted'),
  'manager_extra_accounts/manager_extra_account_not_found': managerAccountNotFound,
  'manager_accounts/used_manager_account_forbidden': () => managerAccountBlocked(EMPLOYER_ACCOUNTS.map(accountRef)),
  captcha_required: () =>
    apiError(403, {
      type: 'captcha_required',
      value: 'captcha_required',
      fallback_url: 'https://hh.ru/account/connect/register?sandbox=1',
      captcha_url: 'https://hh.ru/account/captcha?state=sandbox-captcha-state',
    }),
  // Several errors in one body, as the error reference allows: the bad token and the wrong account together.
  several: () =>
    apiError(403, [
      { type: 'oauth', value: 'bad_authorization' },
      { type: 'manager_extra_accounts', value: 'manager_extra_account_not_found' },
    ]),
};

export function documentedError(name: string): Reply {
  const make = DOCUMENTED_ERRORS[name];
  if (!make) throw new Error(`no documented error named ${JSON.stringify(name)}`);
  return make();
}
