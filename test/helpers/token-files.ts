import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Token files written and read by hand, for states no grant produces (corrupt, legacy, far future, loose modes). */

/** Writes a token file as the store does: `mode` (0600 unless asked) in a 0700 directory; an object as indented JSON. */
export function writeTokenFile(path: string, content: Record<string, unknown> | string | Buffer, mode = 0o600): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, typeof content === 'string' || Buffer.isBuffer(content) ? content : JSON.stringify(content, null, 2) + '\n', { mode });
  chmodSync(path, mode);
}

/**
 * A complete token record whose tokens were never issued, so the sandbox knows them
 * not: a file holding it must not reach hh.ru. Its tokens are not secrets either.
 */
export function fakePair(expiresAt: Date, obtainedAt = new Date(expiresAt.getTime() - 1209600_000)): Record<string, unknown> {
  return {
    access_token: 'FAKEACCESSTOKEN0123456789',
    token_type: 'bearer',
    expires_in: Math.round((expiresAt.getTime() - obtainedAt.getTime()) / 1000),
    refresh_token: 'FAKEREFRESHTOKEN0123456789',
    obtained_at: obtainedAt.toISOString(),
    expires_at: expiresAt.toISOString(),
  };
}

/** A time `hours` from now (negative: in the past). */
export const hoursFromNow = (hours: number) => new Date(Date.now() + hours * 3600_000);

export function readJson(path: string): any {
  return JSON.parse(readFileSync(path, 'utf8'));
}
