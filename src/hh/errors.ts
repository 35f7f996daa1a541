import { type ErrorCode, HhOauthError, REAUTHORIZE_HINT } from '../errors';
import { printable } from '../output';

/**
 * hh.ru's documented errors, mapped to the exit codes of docs/contract.md, each with the one
 * line an operator needs. Keyed by `error` and `error_description` as hh.ru sends them.
 */
interface Mapping {
  code: ErrorCode;
  message: string;
  suggestion: string;
}

const NEW_CODE = 'get a new code: run `hh-oauth authorize-url`, open it, then `hh-oauth exchange -` with the callback URL';
const CLIENT = 'check HH_CLIENT_ID and the client secret against https://dev.hh.ru/admin';

const TOKEN_ERRORS: Record<string, Mapping> = {
  'invalid_request/account not found': { code: 'rejected', message: 'hh.ru does not know this account', suggestion: CLIENT },
  'invalid_request/account is locked': { code: 'rejected', message: 'the hh.ru account is locked', suggestion: 'unlock the account at hh.ru, then authorize again' },
  'invalid_request/password invalidated': { code: 'reauthorize', message: "the account's password was reset; its tokens are dead", suggestion: REAUTHORIZE_HINT },
  'invalid_request/login not verified': { code: 'rejected', message: 'the hh.ru login is not verified yet', suggestion: 'verify the account at hh.ru, then authorize again' },
  'invalid_request/bad redirect url': { code: 'rejected', message: 'hh.ru refused the redirect URI (it differs from the one used to authorize, or from the one registered)', suggestion: 'use exactly the HH_REDIRECT_URI registered at https://dev.hh.ru/admin, for both authorize-url and exchange' },
  'invalid_request/token is empty': { code: 'reauthorize', message: 'the refresh token is empty', suggestion: REAUTHORIZE_HINT },
  'invalid_request/token not found': { code: 'reauthorize', message: 'hh.ru does not know this refresh token', suggestion: REAUTHORIZE_HINT },
  'invalid_request/code not found': { code: 'reauthorize', message: 'hh.ru does not know this authorization code', suggestion: NEW_CODE },
  'invalid_client/client_id or client_secret not found': { code: 'rejected', message: 'hh.ru does not know this client id / secret pair', suggestion: CLIENT },
  'invalid_grant/token has already been refreshed': { code: 'reauthorize', message: 'this refresh token was already used (refresh tokens work once)', suggestion: REAUTHORIZE_HINT },
  'invalid_grant/token not expired': { code: 'reauthorize', message: 'hh.ru refuses to refresh a token that has not expired yet', suggestion: 'nothing to do: refresh runs again once the token expires' },
  'invalid_grant/token was revoked': { code: 'reauthorize', message: 'this token was revoked', suggestion: REAUTHORIZE_HINT },
  'invalid_grant/token deactivated': { code: 'reauthorize', message: 'this token was deactivated (the password was changed?)', suggestion: REAUTHORIZE_HINT },
  'invalid_grant/bad token': { code: 'reauthorize', message: 'hh.ru rejected the token as invalid', suggestion: REAUTHORIZE_HINT },
  'invalid_grant/code has already been used': { code: 'reauthorize', message: 'this authorization code was already used (codes work once)', suggestion: NEW_CODE },
  'invalid_grant/code expired': { code: 'reauthorize', message: 'this authorization code has expired (codes live a few minutes)', suggestion: NEW_CODE },
  'invalid_grant/code was revoke': { code: 'reauthorize', message: 'this authorization code was revoked', suggestion: NEW_CODE },
  'unsupported_grant_type/unsupported grant_type': { code: 'rejected', message: 'hh.ru does not support this grant type', suggestion: 'this is a bug in hh-oauth; please report it' },
  'forbidden/app token refresh too early': { code: 'rejected', message: 'hh.ru issues an application token at most once per 5 minutes', suggestion: 'wait 5 minutes; note that a new application token revokes the previous one' },
};

const BY_ERROR: Record<string, Mapping> = {
  invalid_client: TOKEN_ERRORS['invalid_client/client_id or client_secret not found']!,
  unsupported_grant_type: TOKEN_ERRORS['unsupported_grant_type/unsupported grant_type']!,
};

/** True for hh.ru's answer to a refresh sent before expiry: for a scheduled refresh that is "not due", not a failure. */
export function isNotExpiredAnswer(err: unknown): boolean {
  return err instanceof HhOauthError && err.hhError === 'invalid_grant' && err.hhErrorDescription === 'token not expired';
}

export function tokenEndpointError(status: number, body: unknown): HhOauthError {
  const apiError = apiErrorValue(body);
  if (apiError?.type === 'bad_user_agent') return badUserAgent();
  const { error, description } = rfcError(body);
  if (!error) {
    return new HhOauthError('rejected', `the token endpoint answered HTTP ${status} without an OAuth error`, {
      suggestion: 'check that HH_TOKEN_URL points at hh.ru (https://api.hh.ru/token)',
    });
  }
  if (error === 'bad_user_agent') return badUserAgent();
  const mapping = TOKEN_ERRORS[`${error}/${description}`] ?? BY_ERROR[error];
  const details = { hhError: error, hhErrorDescription: description };
  if (mapping) return new HhOauthError(mapping.code, mapping.message, { ...details, suggestion: mapping.suggestion });
  // hh.ru's words go into our message through printable(); --json keeps them verbatim (hh_error*).
  return new HhOauthError('rejected', `hh.ru refused the request: ${printable(error)}${description ? ` (${printable(description)})` : ''}`, {
    ...details,
    suggestion: 'see https://api.hh.ru/openapi/redoc#section/Avtorizaciya for this error',
  });
}

/** API errors (403 with errors[]): which oauth value, mapped. */
export function apiError(status: number, body: unknown): { value?: string; error: HhOauthError } {
  const first = apiErrorValue(body);
  if (first?.type === 'bad_user_agent') return { value: first.value, error: badUserAgent() };
  const details = { hhError: first?.type, hhErrorDescription: first?.value };
  if (first?.type === 'oauth') {
    const dead = first.value === 'token_expired' ? 'the access token has expired' : first.value === 'token_revoked' ? 'the access token was revoked' : 'hh.ru rejected the access token';
    return { value: first.value, error: new HhOauthError('reauthorize', dead, { ...details, suggestion: REAUTHORIZE_HINT }) };
  }
  const what = first ? printable(`${first.type}${first.value ? `: ${first.value}` : ''}`) : `HTTP ${status}`;
  return { value: first?.value, error: new HhOauthError('rejected', `hh.ru refused the request (${what})`, details) };
}

function badUserAgent(): HhOauthError {
  return new HhOauthError('config', 'hh.ru refused the User-Agent (bad_user_agent)', {
    hhError: 'bad_user_agent',
    suggestion: 'set HH_USER_AGENT="YourApp/1.0 (you@example.com)"',
  });
}

function rfcError(body: unknown): { error?: string; description?: string } {
  if (typeof body !== 'object' || body === null) return {};
  const { error, error_description } = body as Record<string, unknown>;
  return {
    error: typeof error === 'string' ? error : undefined,
    description: typeof error_description === 'string' ? error_description : undefined,
  };
}

function apiErrorValue(body: unknown): { type: string; value?: string } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors) || typeof errors[0] !== 'object' || errors[0] === null) return undefined;
  const { type, value } = errors[0] as Record<string, unknown>;
  if (typeof type !== 'string') return undefined;
  return { type, value: typeof value === 'string' ? value : undefined };
}
