import { readFileSync, renameSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoCode, storeError } from '../errors';
import { log } from '../output';
import { syncDir } from './directory';
import { accessHint, renameHint } from './hints';

/**
 * Where a write puts its new content before the rename over the token file: a name tied
 * to the exact content it replaces (a hash of the file's current bytes, or of nothing
 * when there is no file). Writers hold the lock, so under the lock this one name is all
 * there is to look at, and content found complete there was written to replace what the
 * file holds now. A run killed after its write (or whose rename failed) leaves its new
 * pair there, with the old refresh token already spent: the next locked run puts it in
 * place (settleKeptPair). No pid and no clock is consulted: containers reuse pids, clocks step.
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

/** Puts a kept pair in place, or removes an incomplete one. Under the lock (token-lock.ts), before anything else. */
export async function settleKeptPair(path: string): Promise<void> {
  const kept = await keptPairPath(path);
  let text: string;
  try {
    text = readFileSync(kept, 'utf8');
  } catch (err) {
    const code = errnoCode(err) ?? 'error';
    if (code === 'ENOENT') return;
    // Not passed over: a complete pair there has replaced the file's refresh token at hh.ru,
    // and the debris sweep after this would remove it.
    throw storeError(
      `cannot read ${kept} (${code}), which may hold a newer token pair written by a run that stopped before storing it; nothing was sent to hh.ru`,
      `${accessHint(code)}; then run hh-oauth again, which moves a complete kept pair into place`,
      err,
    );
  }
  if (!isCompleteWrite(text)) {
    await unlink(kept).catch(() => undefined);
    return;
  }
  try {
    renameSync(kept, path);
  } catch (err) {
    // Going on would spend the file's refresh token, which the kept pair has replaced at hh.ru.
    const code = errnoCode(err) ?? 'error';
    throw storeError(
      `a newer token pair, written by a run that stopped before storing it, is kept in ${kept}, but it cannot replace ${path} (${code})`,
      `${renameHint(code)}; then run hh-oauth again, which moves the kept pair into place (or \`mv ${kept} ${path}\`)`,
      err,
    );
  }
  await syncDir(dirname(path));
  log.warn('recovered the token pair that a stopped run had written but not yet stored');
}
