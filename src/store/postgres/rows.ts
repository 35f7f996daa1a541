import { storeError } from '../../errors';
import { parseTokenFile } from '../../token/record';
import { parseAppTokenFile } from '../../token/app-token';
import type { Slot, SlotContent } from '../store';
import { APP_TOKEN, TOKENS } from './schema';

/** Where a slot lives: its table, key column and key. */
export interface RowKey {
  table: string;
  column: 'profile' | 'id';
  key: string;
}

export function rowKey(slot: Slot): RowKey {
  return slot.kind === 'app' ? { table: APP_TOKEN, column: 'id', key: 'app' } : { table: TOKENS, column: 'profile', key: slot.profile };
}

export interface Row {
  record: string | null;
  access_token: string | null;
  refresh_token: string | null;
  updated_at: Date;
  moved_to: string | null;
  version: string | number;
}

export const ROW_COLUMNS = 'record::text AS record, access_token, refresh_token, updated_at, moved_to, version';

/**
 * A row as a SlotContent, validated as the token file is: a damaged row (a record that is
 * not a token record, or columns that disagree with it, which would hand a bot another
 * token than the one hh-oauth refreshes) is exit 7 and left as it is. null: no row, or
 * an empty one (a lock holder's placeholder).
 */
export function contentOf(row: Row | undefined, slot: Slot, where: string): SlotContent | null {
  if (!row || (row.record === null && row.moved_to === null)) return null;
  const updatedAt = new Date(row.updated_at);
  if (row.moved_to !== null) return { text: row.record ?? '', updatedAt, movedTo: row.moved_to };
  const text = row.record!;
  if (slot.kind === 'app') {
    const parsed = parseAppTokenFile(text, where);
    if (parsed.accessToken !== row.access_token) throw damaged(where, 'its access_token column is not the access_token of its record');
  } else {
    const parsed = parseTokenFile(text, updatedAt, where);
    if (parsed.accessToken !== row.access_token) throw damaged(where, 'its access_token column is not the access_token of its record');
    if (parsed.refreshToken !== row.refresh_token) throw damaged(where, 'its refresh_token column is not the refresh_token of its record');
  }
  return { text, updatedAt };
}

function damaged(where: string, why: string) {
  return storeError(
    `${where} is corrupt: ${why}`,
    'restore the row from a backup, or set the columns from record (docs/postgres-store.md#a-damaged-row); hh-oauth leaves it as it is',
  );
}

/** The columns a record sets: hh.ru's fields under their own names, and the two we add. */
export function columnsOf(record: Record<string, unknown>): unknown[] {
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : null);
  const date = (v: unknown) => (typeof v === 'string' && !Number.isNaN(new Date(v).getTime()) ? v : null);
  return [
    str(record.access_token),
    str(record.refresh_token),
    str(record.token_type),
    num(record.expires_in),
    date(record.obtained_at),
    date(record.expires_at),
    JSON.stringify(record),
    typeof record.moved_to === 'string' && !('access_token' in record) ? record.moved_to : null,
  ];
}

/** UPDATE of a locked row with a record ($1 the key, $2… columnsOf). */
export function updateSql(k: RowKey): string {
  return `UPDATE ${k.table} SET access_token = $2, refresh_token = $3, token_type = $4, expires_in = $5, obtained_at = $6, expires_at = $7, record = $8::jsonb, moved_to = $9, updated_at = now(), version = version + 1 WHERE ${k.column} = $1 RETURNING version`;
}
