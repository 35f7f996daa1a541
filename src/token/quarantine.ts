import { link, open, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errnoCode, storeError } from '../errors';
import { readCapped } from '../files/capped-read';
import { READ_LIMITS } from '../files/read-limits';
import { log } from '../output';
import { writeHint } from './hints';
import { storeOwner } from './ownership';

/** A damaged token file kept under a second name until the new pair has replaced it. */
export interface Quarantined {
  aside: string;
  /** The replacement did not happen: drop the second name, the file is where it was. */
  cancel(): Promise<void>;
  /** The replacement happened: say where the damaged content went. */
  announce(): void;
}

/**
 * Keeps a damaged token file's content aside (never deletes it) before the grant that
 * replaces it is spent: a hard link (or a copy), so that once hh.ru has answered, the
 * atomic rename over the old name is the only step left.
 */
export async function quarantine(path: string): Promise<Quarantined> {
  const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    await link(path, aside).catch(() => copyAside(path, aside));
  } catch (err) {
    throw storeError(`cannot keep the damaged ${path} aside (${errnoCode(err) ?? 'error'}); nothing was sent to hh.ru`, writeHint(errnoCode(err)), err);
  }
  return {
    aside,
    cancel: () => unlink(aside).catch(() => undefined),
    announce: () => log.warn(`moved the damaged token file to ${aside}`),
  };
}

/**
 * Where a hard link is refused: a copy, private to the store's owner like any file created
 * there. Read without following a link and written to a new name (O_EXCL) given away through
 * its descriptor: in another user's directory, root must never copy the target of a link she
 * put there into a file of hers, nor chown a name she swapped.
 */
async function copyAside(path: string, aside: string): Promise<void> {
  const read = readCapped(path, READ_LIMITS.tokenFile);
  if (!read.ok) throw Object.assign(new Error(`${path} ${read.problem}`), { code: read.why === 'error' ? read.code : read.why === 'link' ? 'ELOOP' : 'EINVAL' });
  const owner = storeOwner(dirname(path));
  const handle = await open(aside, 'wx', 0o600);
  try {
    if (process.getuid?.() === 0) await handle.chown(owner.uid, owner.gid ?? -1);
    await handle.chmod(0o600);
    await handle.writeFile(read.bytes);
    await handle.sync();
  } catch (err) {
    await unlink(aside).catch(() => undefined);
    throw err;
  } finally {
    await handle.close();
  }
}
