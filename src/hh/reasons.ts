import { HhOauthError } from '../errors';

/**
 * The names of hh.ru's answers that callers act on (HhOauthError.hhReason), named as the
 * sandbox's DOCUMENTED_ERRORS name them. Apart from error-table.ts so that the hot path,
 * which needs only isNotExpiredAnswer, does not carry the whole table (dist/main.cjs).
 */
export const TOKEN_EXPIRED = 'oauth/token_expired';
export const TOKEN_REVOKED = 'oauth/token_revoked';
export const APP_TOKEN_TOO_EARLY = 'forbidden/app token refresh too early';
export const NOT_EXPIRED = 'invalid_grant/token not expired';

/** True for hh.ru's answer to a refresh sent before expiry: for a scheduled refresh that is "not due", not a failure. */
export function isNotExpiredAnswer(err: unknown): boolean {
  return err instanceof HhOauthError && err.hhReason === NOT_EXPIRED;
}
