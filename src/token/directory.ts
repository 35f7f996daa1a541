import { constants, readlinkSync, realpathSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { open } from '../files/quick-fs';
import { dirname, join, relative } from 'node:path';
import { errnoCode, storeError } from '../errors';
import { accessHint } from './hints';
import { log } from '../output';
import { storeOwner } from './ownership';
import { describeUser } from './trusted-dir';

/**
 * The token file's directory, created when missing: each missing level private (0700,
 * or 0750 in HH_TOKEN_GROUP so that its members may enter), and owned like a file created
 * in the nearest directory that exists (ownership.ts): root adding `profiles/` to the
 * service user's state directory leaves it the service user's, so the service can list it.
 */
export async function ensureDir(dir: string): Promise<void> {
  const missing: string[] = [];
  let existing = dir;
  while (!exists(existing)) {
    missing.unshift(existing);
    const up = dirname(existing);
    if (up === existing) break;
    existing = up;
  }
  if (missing.length === 0) return;
  const owner = storeOwner(existing);
  const base = realpathSync(existing);
  for (const level of missing) {
    try {
      await mkdir(level, { mode: owner.dirMode });
    } catch (err) {
      // Made by another run in between: its own run gave it its owner.
      if (errnoCode(err) === 'EEXIST') continue;
      throw storeError(`cannot create the token directory ${level} (${errnoCode(err) ?? 'error'})`, accessHint(errnoCode(err)), err);
    }
    try {
      await giveLevel(level, join(base, relative(existing, level)), owner);
    } catch (err) {
      throw storeError(`cannot give the new directory ${level} its owner and mode (${errnoCode(err) ?? 'error'})`, accessHint(errnoCode(err)), err);
    }
  }
}

/**
 * The owner and mode, through a descriptor of the directory just made: when root writes for
 * the owner of a directory above, she may swap the new name (or a level above it) for a link
 * to /etc, and a chown by name would give her its target. O_NOFOLLOW refuses a link in the
 * last step; the descriptor's own path (/proc/self/fd) one in a level above.
 */
async function giveLevel(level: string, expected: string, owner: ReturnType<typeof storeOwner>): Promise<void> {
  const handle = await open(level, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    const actual = readlinkQuietly(`/proc/self/fd/${handle.fd}`);
    if (actual !== undefined && actual !== expected) throw Object.assign(new Error(`${level} is ${actual}`), { code: 'ELOOP' });
    const st = await handle.stat();
    if (st.uid !== owner.uid || (owner.gid !== undefined && st.gid !== owner.gid)) {
      await handle.chown(owner.uid, owner.gid ?? st.gid).catch((err: unknown) => {
        // As for files (ownership.ts): root that may not chown keeps it, private.
        if (!owner.forOwner) throw err;
        log.warn(`cannot give the new directory ${level} to ${describeUser(owner.uid)} (${errnoCode(err) ?? 'error'}); it stays root's`);
      });
    }
    // mkdir's mode passes through the umask (the unit's is 0077): set it as meant.
    await handle.chmod(owner.dirMode);
  } finally {
    await handle.close();
  }
}

function readlinkQuietly(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (err) {
    // Anything but "missing" is reported where the directory is used.
    return errnoCode(err) !== 'ENOENT';
  }
}

/** After a rename or removal in dir: a rename is durable only once its directory is synced. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY).catch(() => undefined);
  await handle?.sync().catch(() => undefined);
  await handle?.close();
}
