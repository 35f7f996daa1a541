import { expiresAt } from './expiry';
import { storeError } from '../errors';
import { markOf, movedError } from '../store/moved';

/**
 * Pure validation of the token file's text. hh.ru's fields stay verbatim at the top
 * level (consumers run `jq -r .access_token`); we add obtained_at and expires_at.
 */
export interface TokenRecord {
  /** Everything in the file, verbatim, for rewriting without losing unknown fields. */
  data: Record<string, unknown>;
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
  obtainedAt?: Date;
  /** True when expires_at was derived from the file's mtime (files from the bash tooling). */
  legacy: boolean;
}

const CORRUPT_HINT = 'restore it from a backup, or authorize again with `hh-oauth authorize-url` and `hh-oauth exchange` (which moves the damaged file aside, never deletes it)';

const corruptErrors = new WeakSet<Error>();

/** Damaged content (as opposed to a file we may not read): the one case exchange may move aside. */
export function isCorruptError(err: unknown): boolean {
  return err instanceof Error && corruptErrors.has(err);
}

export function parseTokenFile(text: string, mtime: Date, path = 'token file'): TokenRecord {
  const corrupt = (why: string) => {
    const err = storeError(`${path} is corrupt: ${why}`, CORRUPT_HINT);
    corruptErrors.add(err);
    return err;
  };
  if (text.trim() === '') throw corrupt('it is empty');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw corrupt('it is not valid JSON (truncated?)');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw corrupt('it is not a JSON object');
  // `store copy` moved this slot: not damaged, so never set aside or replaced by a grant here.
  const mark = markOf(data);
  if (mark) throw movedError(path, mark);
  const record = data as Record<string, unknown>;
  const accessToken = record.access_token;
  const refreshToken = record.refresh_token;
  if (typeof accessToken !== 'string' || accessToken === '') throw corrupt('access_token is missing or not a string');
  if (typeof refreshToken !== 'string' || refreshToken === '') throw corrupt('refresh_token is missing or not a string');

  const obtainedAt = optionalDate(record.obtained_at, 'obtained_at', corrupt);
  const stored = optionalDate(record.expires_at, 'expires_at', corrupt);
  if (stored) return { data: record, accessToken, refreshToken, expiresAt: stored, obtainedAt, legacy: false };

  const expiresIn = record.expires_in;
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn < 0) {
    throw corrupt('it has neither expires_at nor a numeric expires_in');
  }
  const legacyExpiry = expiresAt(obtainedAt ?? mtime, expiresIn);
  // Past JavaScript's date range, which later code would meet as a RangeError (exit 1).
  if (Number.isNaN(legacyExpiry.getTime())) throw corrupt('expires_in is out of range');
  return { data: record, accessToken, refreshToken, expiresAt: legacyExpiry, obtainedAt, legacy: true };
}

function optionalDate(value: unknown, field: string, corrupt: (why: string) => Error): Date | undefined {
  if (value === undefined) return undefined;
  const date = typeof value === 'string' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw corrupt(`${field} is not an ISO date`);
  return date;
}

/** Ten years: far beyond hh.ru's 14 days, well inside JavaScript's date range. */
const MAX_EXPIRES_IN = 10 * 366 * 86400;

/** An expires_in we can turn into a date; hh.ru always sends one, but a pair must not be lost over it. */
export function usableExpiresIn(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= MAX_EXPIRES_IN;
}

/**
 * The file content for a fresh grant: hh.ru's response verbatim, plus our two fields.
 * Called after hh.ru has spent the old refresh token, so it must not throw: without a
 * usable expires_in the token counts as due at once, and hh.ru ("token not expired")
 * says when it really is.
 */
export function recordFromGrant(response: Record<string, unknown>, obtained: Date): Record<string, unknown> {
  const expiry = usableExpiresIn(response.expires_in) ? expiresAt(obtained, response.expires_in) : obtained;
  return { ...response, obtained_at: obtained.toISOString(), expires_at: expiry.toISOString() };
}
