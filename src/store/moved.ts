/**
 * The mark `store copy` leaves in a slot it moved: a small JSON record with no tokens,
 * {"moved_to": "<the new store, no password>", "moved_at": "<ISO time>"}. Written through
 * the store's write protocol like any record, so a reader sees the pair or the mark, never
 * half of either. It imports only errors.ts: the hot path's parser (token/record.ts) checks it.
 */
import { configError, type HhOauthError } from '../errors';

export interface MovedMark {
  movedTo: string;
  movedAt?: string;
}

export function movedRecord(movedTo: string, at = new Date()): Record<string, unknown> {
  return { moved_to: movedTo, moved_at: at.toISOString() };
}

/** The mark in a record's text, if it is one: an object with moved_to and no access_token. */
export function movedMark(text: string): MovedMark | undefined {
  if (!text.includes('"moved_to"')) return undefined;
  try {
    return markOf(JSON.parse(text));
  } catch {
    return undefined;
  }
}

export function markOf(value: unknown): MovedMark | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.moved_to !== 'string' || record.moved_to === '' || 'access_token' in record) return undefined;
  return { movedTo: record.moved_to, movedAt: typeof record.moved_at === 'string' ? record.moved_at : undefined };
}

const movedErrors = new WeakSet<Error>();

/** A moved slot met by any command: a configuration error (exit 3) naming the new store and the setting to change. */
export function movedError(location: string, mark: MovedMark): HhOauthError {
  const to = mark.movedTo;
  const setting = /^postgres(ql)?:\/\//i.test(to)
    ? `set HH_TOKEN_STORE=${to} (the password from PGPASSFILE or the environment, never typed)`
    : `point HH_TOKEN_FILE at ${to} and leave HH_TOKEN_STORE empty`;
  const err = configError(`${location} was moved to ${to}${mark.movedAt ? ` at ${mark.movedAt}` : ''} by \`hh-oauth store copy\`; nothing is read or refreshed here any more`, setting);
  movedErrors.add(err);
  return err;
}

export function isMovedError(err: unknown): boolean {
  return err instanceof Error && movedErrors.has(err);
}
