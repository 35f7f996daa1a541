import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Where a write puts its new content before the rename over the token file: a name tied
 * to the exact content it replaces (a hash of the file's current bytes, or of nothing
 * when there is no file). Writers hold the lock, so under the lock this one name is all
 * there is to look at, and content found complete there was written to replace what the
 * file holds now. A run killed after its write (or whose rename failed) leaves its new
 * pair there, with the old refresh token already spent: the next locked run puts it in
 * place (store.ts, settleKeptPair). No pid and no clock is consulted: containers reuse
 * pids, clocks step.
 */
export async function keptPairPath(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    bytes = Buffer.alloc(0);
  }
  const { createHash } = await import('node:crypto');
  return join(dirname(path), `.${basename(path)}.${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.tmp`);
}

/** A write that finished: one JSON object (the claimed space after it is blanks, which JSON.parse allows). */
export function isCompleteWrite(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
