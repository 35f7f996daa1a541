import { type ErrorCode, type HhErrorEntry, REAUTHORIZE_HINT } from '../errors';
import { USER_AGENT_ADVICE } from './user-agent';

/**
 * The words of src/hh/errors.ts: for each error hh.ru documents (the error reference's
 * sections oauth-get-errors, oauth, user-agent, manager-accounts, captcha_required, and the
 * specification's error schemas of the endpoints hh-oauth calls), its exit code, the message
 * and the one-line hint. Named as the sandbox's DOCUMENTED_ERRORS name them.
 */

/** What the mapping needs besides the body: where the request went and what it sent. */
export interface ErrorContext {
  /** hh.ru's answer's headers: X-Request-Id. */
  headers?: Pick<Headers, 'get'>;
  /** The API path called (token endpoint calls leave it out). */
  path?: string;
  /** The token endpoint's grant_type. */
  grantType?: string;
  userAgent?: string;
  /** The X-Manager-Account-Id sent, if any. */
  managerAccountId?: string;
  /** HH_REDIRECT_URI, the page to come back to after a captcha. */
  redirectUri?: string;
  /** An earlier attempt of this request failed in flight (HttpResponse.lostAttempt): how. */
  lostAttempt?: string;
}

export interface Mapping {
  code: ErrorCode;
  message: string;
  suggestion: string;
}

/** One entry of an errors[] body, with its value trimmed. */
export interface Entry {
  type: string;
  value?: string;
  raw: HhErrorEntry;
}

export type Explain = Mapping | ((entry: Entry, body: Record<string, unknown>, ctx: ErrorContext) => Mapping);

/** Names the callers act on (HhOauthError.hhReason): reasons.ts, so that the hot path need not load this table. */
export { APP_TOKEN_TOO_EARLY, NOT_EXPIRED, TOKEN_EXPIRED, TOKEN_REVOKED } from './reasons';
import { APP_TOKEN_TOO_EARLY, NOT_EXPIRED, TOKEN_EXPIRED, TOKEN_REVOKED } from './reasons';
export const ALREADY_REFRESHED = 'invalid_grant/token has already been refreshed';
export const CODE_USED = 'invalid_grant/code has already been used';

const NEW_CODE = 'get a new code: run `hh-oauth authorize-url`, open it, then `hh-oauth exchange -` with the callback URL';
const CLIENT = 'check HH_CLIENT_ID and the client secret against https://dev.hh.ru/admin';
const SUPPORT = "the account's owner must ask hh.ru's support (https://github.com/hhru/api#feedback), then authorize again";
export const REPORT = "see hh.ru's error reference (https://api.hh.ru/openapi/redoc); if it persists, write to hh.ru's support (api@hh.ru) with the request_id";
const ACCOUNT_SETTINGS = '--manager-account ID, HH_MANAGER_ACCOUNT_ID or `hh-oauth profiles set manager-account ID`';
export const TOO_EARLY: Mapping = { code: 'rejected', message: 'hh.ru issues an application token at most once per 5 minutes', suggestion: 'wait 5 minutes; note that a new application token revokes the previous one' };

/** The token endpoint's RFC 6749 errors (the error reference's table, the same as the specification's enums). */
export const TOKEN_ERRORS: Record<string, Mapping> = {
  'invalid_request/account not found': { code: 'rejected', message: 'hh.ru finds no account for this client id / secret pair', suggestion: CLIENT },
  'invalid_request/account is locked': { code: 'rejected', message: 'the hh.ru account is locked', suggestion: SUPPORT },
  'invalid_request/password invalidated': { code: 'reauthorize', message: "the account's password has expired at hh.ru; its tokens are dead", suggestion: `the account's owner must set a new password at https://hh.ru, then ${REAUTHORIZE_HINT}` },
  'invalid_request/login not verified': { code: 'rejected', message: 'the hh.ru account is not verified', suggestion: SUPPORT },
  'invalid_request/bad redirect url': { code: 'rejected', message: 'hh.ru refused the redirect URI (it differs from the one used to authorize, or from the one registered)', suggestion: 'use exactly the HH_REDIRECT_URI registered at https://dev.hh.ru/admin, for both authorize-url and exchange' },
  'invalid_request/token is empty': { code: 'reauthorize', message: 'the refresh token is empty', suggestion: REAUTHORIZE_HINT },
  'invalid_request/token not found': { code: 'reauthorize', message: 'hh.ru does not know this refresh token', suggestion: REAUTHORIZE_HINT },
  'invalid_request/code not found': { code: 'reauthorize', message: 'hh.ru does not know this authorization code', suggestion: NEW_CODE },
  'invalid_client/client_id or client_secret not found': { code: 'rejected', message: 'hh.ru does not know this client id / secret pair (or the application was deleted)', suggestion: `${CLIENT}; a deleted application needs a new one there (authorizing again cannot help)` },
  [ALREADY_REFRESHED]: { code: 'reauthorize', message: 'this refresh token was already used (refresh tokens work once)', suggestion: REAUTHORIZE_HINT },
  [NOT_EXPIRED]: { code: 'reauthorize', message: 'hh.ru refuses to refresh a token that has not expired yet', suggestion: 'nothing to do: refresh runs again once the token expires' },
  'invalid_grant/token was revoked': { code: 'reauthorize', message: 'this token was revoked', suggestion: REAUTHORIZE_HINT },
  'invalid_grant/token deactivated': {
    code: 'reauthorize',
    message: "hh.ru deactivated this token: it does so when the account's password is changed, and has also been seen doing it after a normal expiry",
    suggestion: 'authorize again with the login form: `hh-oauth login --force-login` (or `hh-oauth authorize-url --force-login`), and where hh.ru offers the last profile choose "this is not my profile"; if it happens again, reset the account\'s password at https://hh.ru',
  },
  'invalid_grant/bad token': { code: 'reauthorize', message: 'hh.ru rejected the token as invalid', suggestion: REAUTHORIZE_HINT },
  [CODE_USED]: { code: 'reauthorize', message: 'this authorization code was already used (codes work once)', suggestion: NEW_CODE },
  'invalid_grant/code expired': { code: 'reauthorize', message: 'this authorization code has expired (codes live a few minutes)', suggestion: NEW_CODE },
  'invalid_grant/code was revoke': { code: 'reauthorize', message: 'this authorization code was revoked', suggestion: NEW_CODE },
  'unsupported_grant_type/unsupported grant_type': { code: 'rejected', message: 'hh.ru does not support this grant type', suggestion: 'this is a bug in hh-oauth; please report it' },
  [APP_TOKEN_TOO_EARLY]: TOO_EARLY,
};

export const BY_ERROR: Record<string, Mapping> = {
  invalid_client: TOKEN_ERRORS['invalid_client/client_id or client_secret not found']!,
  unsupported_grant_type: TOKEN_ERRORS['unsupported_grant_type/unsupported grant_type']!,
};

/** The same refusals after an attempt whose answer was lost: hh.ru had acted on the first. */
export const AFTER_LOST: Record<string, (lost: string) => Mapping> = {
  [ALREADY_REFRESHED]: (lost) => ({
    code: 'reauthorize',
    message: `hh.ru accepted the first attempt to refresh, but its answer was lost in flight (${lost}); the retry got "token has already been refreshed", so the pair is gone: the new one never arrived`,
    suggestion: REAUTHORIZE_HINT,
  }),
  [CODE_USED]: (lost) => ({
    code: 'reauthorize',
    message: `hh.ru accepted the first attempt to exchange the code, but its answer was lost in flight (${lost}); the retry got "code has already been used", so the code is spent and its pair never arrived`,
    suggestion: NEW_CODE,
  }),
  [APP_TOKEN_TOO_EARLY]: (lost) => ({
    code: 'rejected',
    message: `hh.ru most likely issued an application token to the first attempt, whose answer was lost in flight (${lost}); that token revoked the previous one, and the retry was refused (app token refresh too early)`,
    suggestion: 'run `hh-oauth app-token --rotate` in 5 minutes: the stored application token, if any, is probably revoked',
  }),
};

/** `oauth_error`, the older key beside errors[], in the terms of errors[].value. */
export const LEGACY_OAUTH: Record<string, string> = {
  'token-expired': 'token_expired',
  'token-revoked': 'token_revoked',
  'bad-auth-type': 'bad_authorization',
  'client-id-deleted': 'application_not_found',
};

/** errors[] entries: the error reference's sections oauth, user-agent, manager-accounts, and the specification's 403 schemas. */
export const API_ERRORS: Record<string, Explain> = {
  'oauth/bad_authorization': { code: 'reauthorize', message: 'hh.ru does not know this access token, or finds it invalid', suggestion: REAUTHORIZE_HINT },
  [TOKEN_EXPIRED]: { code: 'temporary', message: 'hh.ru says the access token has expired', suggestion: "refresh it and run again: `hh-oauth refresh --force` (hh.ru's clock decides when a token has expired)" },
  [TOKEN_REVOKED]: { code: 'reauthorize', message: 'the access token was revoked (by the user, or by hh.ru)', suggestion: REAUTHORIZE_HINT },
  'oauth/application_not_found': {
    code: 'rejected',
    message: 'hh.ru says this application was deleted (application_not_found); its tokens are dead',
    suggestion: 'authorizing again cannot help: register an application at https://dev.hh.ru/admin, set HH_CLIENT_ID and the client secret to its own, then authorize again',
  },
  'oauth/user_auth_expected': { code: 'rejected', message: "this call needs a user's token, and hh.ru got an application token", suggestion: 'use a user token (the token file, stored by `hh-oauth login`), not the application token of `hh-oauth app-token`' },
  'oauth/application_auth_expected': { code: 'rejected', message: "this call needs the application's token, and hh.ru got a user token", suggestion: 'use the application token: `hh-oauth app-token` stores it, `hh-oauth token --app` prints it' },
  'oauth/no_scope': {
    code: 'rejected',
    message: 'this call needs a token with a scope this one lacks (no_scope)',
    suggestion: "hh.ru gives a token the scopes of its application's access: check that access at https://dev.hh.ru/admin (or ask api@hh.ru with the request_id); authorizing again gives the same scopes until it changes",
  },
  forbidden: (_entry, _body, ctx) => ({
    code: 'rejected',
    message: 'hh.ru forbids this call for this token (forbidden)',
    suggestion: ctx.path === '/manager_accounts/mine'
      ? "only an employer's manager has manager accounts: this token is an applicant's, an integration's or the application's"
      : "check that the token is of the kind this call needs (an employer's manager's, for manager accounts)",
  }),
  employer_on_additional_check_restricted: {
    code: 'rejected',
    message: 'hh.ru restricts this employer while it is under an additional check',
    suggestion: "wait until hh.ru's check of the employer is over; hh.ru's support (api@hh.ru) can tell more, given the request_id",
  },
  'manager_extra_accounts/manager_extra_account_not_found': (_entry, _body, ctx) => ({
    code: 'rejected',
    message: `hh.ru knows no manager account ${ctx.managerAccountId ?? '(X-Manager-Account-Id)'} for this token (manager_extra_account_not_found)`,
    suggestion: `list the ones this token may use with \`hh-oauth whoami --manager-accounts\`, then fix ${ACCOUNT_SETTINGS}`,
  }),
  'manager_accounts/used_manager_account_forbidden': (entry, _body, ctx) => {
    const allowed = allowedAccounts(entry.raw.allowed_accounts);
    return {
      code: 'rejected',
      message: `manager account ${ctx.managerAccountId ?? '(X-Manager-Account-Id)'} is blocked at hh.ru (used_manager_account_forbidden)`,
      suggestion: allowed
        ? `use one this token may use, ${allowed}, with ${ACCOUNT_SETTINGS}`
        : `list the ones this token may use with \`hh-oauth whoami --manager-accounts\`, then set one with ${ACCOUNT_SETTINGS}`,
    };
  },
  'bad_user_agent/unset': {
    code: 'config',
    message: 'hh.ru received no User-Agent (bad_user_agent: unset), though hh-oauth sends one as User-Agent and as HH-User-Agent',
    suggestion: `set HH_USER_AGENT to ${USER_AGENT_ADVICE}; if it is set, something between here and hh.ru (a proxy) drops both headers`,
  },
  'bad_user_agent/blacklisted': (_entry, _body, ctx) => ({
    code: 'config',
    message: `hh.ru refuses the User-Agent ${ctx.userAgent ? JSON.stringify(ctx.userAgent) : 'sent'} (bad_user_agent: blacklisted)`,
    suggestion: `set HH_USER_AGENT to ${USER_AGENT_ADVICE}; hh.ru refuses placeholders and names that are not a product's`,
  }),
};

/** captcha_required: the page a person opens, with `backurl` (where hh.ru sends them after) appended, as the error reference asks. */
export function captcha(entry: Entry, ctx: ErrorContext): Mapping {
  const back = ctx.redirectUri ?? 'https://hh.ru';
  const captchaUrl = trimmed(entry.raw.captcha_url);
  const fallback = trimmed(entry.raw.fallback_url);
  const message = 'hh.ru wants a person to pass a captcha before it answers this request (captcha_required)';
  if (captchaUrl) {
    return { code: 'rejected', message, suggestion: `open ${withParameter(captchaUrl, 'backurl', back)} in a browser, pass the captcha, then run the command again` };
  }
  return {
    code: 'rejected',
    message,
    suggestion: fallback
      ? `open ${fallback} in a browser and do there what this command does (hh.ru gave no captcha page for it)`
      : "hh.ru sent no page to pass it on: try again later from a browser at https://hh.ru, or ask hh.ru's support with the request_id",
  };
}

function withParameter(url: string, name: string, value: string): string {
  const hash = url.indexOf('#');
  const [base, fragment] = hash === -1 ? [url, ''] : [url.slice(0, hash), url.slice(hash)];
  const joiner = !base.includes('?') ? '?' : /[?&]$/.test(base) ? '' : '&';
  return `${base}${joiner}${name}=${encodeURIComponent(value)}${fragment}`;
}

function allowedAccounts(value: unknown): string | undefined {
  if (!Array.isArray(value)) return undefined;
  const listed = value.filter(isObject).map((account) => {
    const employer = isObject(account.employer) && typeof account.employer.name === 'string' ? ` (${account.employer.name})` : '';
    return `${String(account.id)}${employer}`;
  });
  return listed.length > 0 ? listed.join(', ') : undefined;
}

/** A table's own entry: hh.ru's words must never reach Object.prototype (`valueOf`, `__proto__`). */
export function own<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

export function trimmed(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
