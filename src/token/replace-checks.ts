import { readFileSync, realpathSync } from 'node:fs';
import { stat } from '../files/quick-fs';
import { dirname } from 'node:path';
import { storeError } from '../errors';

/**
 * Whether a rename(2) over the token file can succeed, checked before any grant is spent:
 * failing at the rename, after hh.ru has answered, would leave the new pair only in a kept
 * file. Two cases are known in advance: a file mounted on its own, and a file of another
 * user in a sticky directory (like /tmp).
 */
export async function assertReplaceable(path: string): Promise<void> {
  const [dir, file] = await Promise.all([stat(dirname(path)).catch(() => undefined), stat(path).catch(() => undefined)]);
  if (!dir || !file) return;
  // Not st_dev: on overlayfs a file and its directory can report different devices.
  // A file bind-mounted on its own (docker -v ./token.json:…) is a mount point: rename(2) over it fails with EBUSY.
  if (isMountPoint(path)) {
    throw storeError(
      `cannot replace ${path}: it is a mount point (a file mounted on its own?), and only a file inside a mounted directory can be replaced atomically; nothing was sent to hh.ru`,
      'mount the directory that holds the token file instead (e.g. `-v ./state:/var/lib/hh-token`), or point HH_TOKEN_FILE at a file inside a mounted directory',
    );
  }
  // rename(2) over a file in a sticky directory needs us to own the file or the directory.
  const uid = process.getuid?.();
  if (uid === undefined || uid === 0 || !(dir.mode & 0o1000) || file.uid === uid || dir.uid === uid) return;
  throw storeError(
    `cannot replace ${path}: it belongs to uid ${file.uid}, and its directory is sticky (like /tmp), so uid ${uid} may not replace it; nothing was sent to hh.ru`,
    'run as the user that owns the token file (e.g. `sudo -u <owner> hh-oauth …`), or keep the token file in a directory of its own',
  );
}

/** Whether path is where something is mounted (a bind mount of a single file keeps st_dev when both sides share a filesystem). */
function isMountPoint(path: string): boolean {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return false;
  }
  return mountPoints().has(real);
}

/** Read once per process: `refresh --all` checks every profile, and mounts do not change under a run. */
let knownMountPoints: Set<string> | undefined;

function mountPoints(): Set<string> {
  if (knownMountPoints) return knownMountPoints;
  let mounts = '';
  try {
    mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    // No /proc: nothing is known to be a mount point.
  }
  // Field 5 is the mount point, with space, tab, newline and backslash written as octal escapes.
  const unescape = (field: string) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  knownMountPoints = new Set(mounts.split('\n').map((line) => line.split(' ')[4]).filter((field) => field !== undefined).map(unescape));
  return knownMountPoints;
}
