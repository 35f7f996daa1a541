import { stat, type FileHandle } from 'node:fs/promises';
import { configError, errnoCode, storeError } from '../errors';
import { log } from '../output';
import { groupId } from '../system/accounts';

/**
 * Who may read a new token file: set on the reserved temp file (reservation.ts) before
 * any grant is spent, so that the rename is the only step left once hh.ru has answered.
 */

/**
 * A replacement keeps the old file's owner, group and (0600/0640) mode, so a bot reading it keeps access.
 * Compared with what the new file really got (a setgid directory hands it the directory's group), and
 * a group that cannot be kept is not replaced by another with the same rights: the file is then 0600.
 */
export async function matchOwnership(handle: FileHandle, path: string): Promise<void> {
  const old = await stat(path).catch(() => undefined);
  if (!old?.isFile()) return;
  const fresh = await handle.stat();
  let mode = old.mode & 0o640 || 0o600;
  if (process.getuid?.() === 0) {
    if (fresh.uid !== old.uid || fresh.gid !== old.gid) await handle.chown(old.uid, old.gid);
  } else if (fresh.gid !== old.gid) {
    try {
      await handle.chown(-1, old.gid);
    } catch {
      mode = 0o600;
      log.warn(`cannot keep group ${old.gid} on ${path}; the new file is readable by its owner only (mode 0600)`);
    }
  }
  await handle.chmod(mode);
}

/**
 * HH_TOKEN_GROUP (the unit sets it for `install-units --token-group`): the file goes
 * to that group with mode 0640, so a bot in the group can read the token. chown only
 * when needed: the unit already runs with Group= set to it, and its system call filter
 * refuses chown.
 */
export async function applyTokenGroup(handle: FileHandle): Promise<void> {
  const name = process.env.HH_TOKEN_GROUP;
  if (!name) return;
  const gid = groupId(name);
  if (gid === undefined) throw configError(`HH_TOKEN_GROUP names the group "${name}", which does not exist`, `create it (groupadd --system ${name}) or unset HH_TOKEN_GROUP`);
  if ((await handle.stat()).gid !== gid) {
    await handle.chown(-1, gid).catch((err: unknown) => {
      throw storeError(`cannot give the token file to the group ${name} (${errnoCode(err) ?? 'error'})`, `the user writing it must belong to ${name} (the unit sets Group=${name})`, err);
    });
  }
  await handle.chmod(0o640);
}
