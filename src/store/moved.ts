/**
 * The mark `store copy` leaves in a slot it moved: a small JSON record with no tokens,
 * {"moved_to": "<the new store, no password>", "moved_at": "<ISO time>"}. Written through
 * the store's write protocol like any record, so a reader sees the pair or the mark, never
 * half of either. Kept free of imports: the hot path's parser (token/record.ts) checks it.
 */
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
