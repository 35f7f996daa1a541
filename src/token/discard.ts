import { rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errnoCode, storeError } from '../errors';
import { syncDir } from './directory';
import { writeHint } from './hints';
import { readToken } from './read';
import { withTokenLock } from './token-lock';

export type DiscardOutcome = { action: 'removed' } | { action: 'kept'; keptAs: string } | { action: 'replaced' } | { action: 'missing' };

/**
 * Removes the token file after its pair was revoked, or with keep renames it to
 * `<path>.revoked-<time>`. Under the lock, and only while the file still holds
 * the revoked refresh token: a pair stored meanwhile (another exchange) is kept.
 */
export async function discardToken(path: string, timeoutSeconds: number, revokedRefreshToken: string, opts: { keep?: boolean } = {}): Promise<DiscardOutcome> {
  return withTokenLock(path, timeoutSeconds, async () => {
    const current = await readToken(path, { tighten: false });
    if (!current) return { action: 'missing' };
    if (current.refreshToken !== revokedRefreshToken) return { action: 'replaced' };
    const keptAs = `${path}.revoked-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      if (opts.keep) await rename(path, keptAs);
      else await unlink(path);
    } catch (err) {
      throw storeError(`cannot ${opts.keep ? 'rename' : 'remove'} ${path} (${errnoCode(err) ?? 'error'})`, writeHint(errnoCode(err)), err);
    }
    await syncDir(dirname(path));
    return opts.keep ? { action: 'kept', keptAs } : { action: 'removed' };
  });
}
