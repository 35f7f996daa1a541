import { type HhErrorEntry, HhOauthError, mostSerious, REAUTHORIZE_HINT } from '../errors';
import { printable } from '../output';
import {
  AFTER_LOST,
  API_ERRORS,
  APP_TOKEN_TOO_EARLY,
  BY_ERROR,
  captcha,
  type Entry,
  type ErrorContext,
  isObject,
  LEGACY_OAUTH,
  type Mapping,
  NOT_EXPIRED,
  own,
  REPORT,
  TOKEN_ERRORS,
  TOO_EARLY,
  trimmed,
} from './error-table';

export { APP_TOKEN_TOO_EARLY, type ErrorContext, TOKEN_EXPIRED, TOKEN_REVOKED } from './error-table';
export { isNotExpiredAnswer } from './reasons';

/**
 * hh.ru's documented errors, mapped to the exit codes of docs/contract.md, each with the line
 * an operator needs. hh.ru answers in two shapes, and either may come from either place
 * (HH-FACTS.md): RFC 6749's `{error, error_description}` from the token endpoint, and
 * `{errors: [{type, value?, …}], request_id}` from the API and from the token endpoint's 403
 * and bad_user_agent. An error is named as the sandbox's DOCUMENTED_ERRORS name it:
 * `error/error_description` or `type/value`. Values are compared trimmed: the specification's
 * own prose has "bad token " and "token deactivated ".
 */

/** hh.ru's request_id: the body's, else the X-Request-Id header's (hh.ru has been seen sending it twice, "id, id"). */
export function requestIdOf(body: unknown, headers?: Pick<Headers, 'get'> | null): string | undefined {
  const inBody = isObject(body) && typeof body.request_id === 'string' ? body.request_id.trim() : '';
  if (inBody) return inBody;
  return (headers?.get('x-request-id') ?? '').split(',').map((id) => id.trim()).find((id) => id !== '');
}

/** A refusal from the token endpoint, in either shape. */
export function tokenEndpointError(status: number, body: unknown, ctx: ErrorContext = {}): HhOauthError {
  const requestId = requestIdOf(body, ctx.headers);
  const entries = entriesOf(body);
  if (entries) return fromEntries(entries, body as Record<string, unknown>, { ...ctx, path: undefined }, requestId);
  const error = trimmed(isObject(body) ? body.error : undefined);
  const description = trimmed(isObject(body) ? body.error_description : undefined);
  if (!error) {
    return new HhOauthError('rejected', `the token endpoint answered HTTP ${status} without an OAuth error`, {
      requestId,
      suggestion: 'check that HH_TOKEN_URL points at hh.ru (https://api.hh.ru/token)',
    });
  }
  const name = `${error}/${description}`;
  const lost = ctx.lostAttempt ? own(AFTER_LOST, name)?.(ctx.lostAttempt) : undefined;
  const mapping = lost ?? own(TOKEN_ERRORS, name) ?? own(BY_ERROR, error) ?? {
    code: 'rejected' as const,
    // hh.ru's words go into our message through printable(); --json keeps them verbatim (hh_error*).
    message: `hh.ru refused the request: ${printable(error)}${description ? ` (${printable(description)})` : ''}`,
    suggestion: REPORT,
  };
  return new HhOauthError(mapping.code, mapping.message, {
    hhError: error,
    hhErrorDescription: description,
    requestId,
    hhReason: lost ? `${name} (answer lost)` : own(TOKEN_ERRORS, name) ? name : error,
    suggestion: mapping.suggestion,
  });
}

/** A refusal of an API call (a non-2xx answer with a bearer token). */
export function apiError(status: number, body: unknown, ctx: ErrorContext = {}): HhOauthError {
  const requestId = requestIdOf(body, ctx.headers);
  const entries = entriesOf(body);
  if (entries) return fromEntries(entries, body as Record<string, unknown>, ctx, requestId);
  return new HhOauthError('rejected', `hh.ru refused the request (HTTP ${status})`, { requestId, suggestion: REPORT });
}

/**
 * Every entry is reported; the exit code is the most serious one's (mostSerious, the one
 * order of src/errors.ts); hh_error keeps the first entry, as hh.ru listed them.
 */
function fromEntries(entries: Entry[], body: Record<string, unknown>, ctx: ErrorContext, requestId: string | undefined): HhOauthError {
  const explained = entries.map((entry) => explainEntry(entry, body, ctx));
  const worst = mostSerious(explained.map((e) => e.mapping.code));
  const deciding = explained.find((e) => e.mapping.code === worst)!;
  const others = explained.filter((e) => e !== deciding);
  const message = explained.length === 1
    ? deciding.mapping.message
    : `hh.ru answered ${explained.length} errors: ${explained.map((e, i) => `${i + 1}) ${e.mapping.message}`).join('; ')}`;
  const suggestions = [...new Set([deciding, ...others].map((e) => e.mapping.suggestion))];
  return new HhOauthError(deciding.mapping.code, message, {
    hhError: entries[0]!.type,
    hhErrorDescription: entries[0]!.value,
    hhErrors: entries.map((e) => e.raw),
    requestId,
    hhReason: deciding.name,
    suggestion: suggestions.join('; then '),
  });
}

function explainEntry(entry: Entry, body: Record<string, unknown>, ctx: ErrorContext): { name: string; mapping: Mapping } {
  const { type } = entry;
  if (entry.value === 'captcha_required' || type === 'captcha_required') return { name: 'captcha_required', mapping: captcha(entry, ctx) };
  if (type === 'oauth') {
    // client-id-deleted outranks the value: whatever else hh.ru says about the token, the application is gone.
    const legacy = typeof body.oauth_error === 'string' ? own(LEGACY_OAUTH, body.oauth_error) : undefined;
    const value = legacy === 'application_not_found' ? legacy : (entry.value ?? legacy);
    return named(`oauth/${value}`, entry, body, ctx) ?? {
      name: 'oauth',
      mapping: { code: 'reauthorize', message: `hh.ru refused the authorization (oauth${value ? `: ${value}` : ''})`, suggestion: REAUTHORIZE_HINT },
    };
  }
  // The token endpoint's 403: the specification's errors[] shape of the 5-minute refusal.
  if (type === 'forbidden' && ctx.path === undefined && (ctx.grantType === 'client_credentials' || trimmed(body.description) === 'app token refresh too early')) {
    const lost = ctx.lostAttempt ? AFTER_LOST[APP_TOKEN_TOO_EARLY]!(ctx.lostAttempt) : undefined;
    return { name: lost ? `${APP_TOKEN_TOO_EARLY} (answer lost)` : APP_TOKEN_TOO_EARLY, mapping: lost ?? TOO_EARLY };
  }
  const found = named(`${type}/${entry.value}`, entry, body, ctx) ?? named(type, entry, body, ctx) ?? (entry.value ? named(entry.value, entry, body, ctx) : undefined);
  if (found) return found;
  if (type === 'bad_user_agent') return named('bad_user_agent/blacklisted', entry, body, ctx)!;
  return {
    name: type,
    mapping: { code: 'rejected', message: `hh.ru refused the request (${printable(`${type}${entry.value ? `: ${entry.value}` : ''}`)})`, suggestion: REPORT },
  };
}

function named(name: string, entry: Entry, body: Record<string, unknown>, ctx: ErrorContext): { name: string; mapping: Mapping } | undefined {
  const explain = own(API_ERRORS, name);
  if (!explain) return undefined;
  return { name, mapping: typeof explain === 'function' ? explain(entry, body, ctx) : explain };
}

function entriesOf(body: unknown): Entry[] | undefined {
  if (!isObject(body) || !Array.isArray(body.errors)) return undefined;
  const entries = body.errors
    .filter((e): e is HhErrorEntry => isObject(e) && typeof e.type === 'string')
    .map((raw) => ({ type: raw.type.trim(), value: trimmed(raw.value), raw }));
  return entries.length > 0 ? entries : undefined;
}
