import { realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname } from 'node:path';
import { errnoCode, storeError } from '../errors';
import { nameInFile } from '../system/accounts';

/**
 * Whether a token directory can be trusted to hold what hh-oauth reads and writes there.
 * Whoever can write the directory can plant a token file, a kept pair or a lock in it,
 * or replace one: a directory that others can write (group or world write bits) is
 * refused, unless it is sticky (like /tmp) and the file in question is ours. A directory
 * owned by another user (root writing for the service user) must itself sit in a
 * directory that others cannot write: anyone may make /tmp/x, and root would then write
 * its token for her. On the read path too (token/read.ts), so one stat more per read.
 */

/** "hh-oauth (uid 998)", or "uid 998" for an id /etc/passwd does not name. */
export function describeUser(uid: number): string {
  if (uid === 0) return 'root';
  const name = nameInFile('passwd', uid);
  return name ? `${name} (uid ${uid})` : `uid ${uid}`;
}

/** The user's name for a command line (`sudo -u NAME`, `chown NAME`), or `#998` (which sudo accepts) when it has none. */
export function userArg(uid: number): string {
  return uid === 0 ? 'root' : (nameInFile('passwd', uid) ?? `#${uid}`);
}

/** 0777, 1777: as chmod(1) and ls -l show them. */
const octal = (mode: number) => (mode & 0o7000 ? '' : '0') + (mode & 0o7777).toString(8).padStart(3, '0');
const writableByOthers = (st: Stats) => (st.mode & 0o022) !== 0;
const sticky = (st: Stats) => (st.mode & 0o1000) !== 0;

/**
 * Throws (exit 7) when dir may not be trusted for `file` (the path inside it, owned by
 * fileUid, or undefined when it does not exist yet). Returns the directory's stat, or
 * undefined when the directory does not exist.
 */
export function assertTrustedDir(dir: string, file: string, fileUid: number | undefined): Stats | undefined {
  let st: Stats;
  try {
    st = statSync(dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw storeError(`cannot examine the token directory ${dir} (${errnoCode(err) ?? 'error'})`, 'run as the user that owns the token directory, or fix its permissions', err);
  }
  const me = process.getuid?.() ?? -1;
  const where = `(mode ${octal(st.mode)}, owner ${describeUser(st.uid)})`;
  if (writableByOthers(st)) {
    if (!sticky(st)) {
      throw storeError(
        `the token directory ${dir} can be written by others ${where}: whoever can write it can plant or replace ${basename(file)}; nothing was sent to hh.ru`,
        `make it writable by its owner only (\`chmod go-w ${dir}\`), or keep the token file in a directory of its own (HH_TOKEN_FILE)`,
      );
    }
    if (fileUid !== undefined && fileUid !== me) {
      throw storeError(
        `the token directory ${dir} can be written by others ${where}, and ${basename(file)} belongs to ${describeUser(fileUid)}, not to ${describeUser(me)}: anyone may have put it there; nothing was sent to hh.ru`,
        `keep the token file in a directory of its own (HH_TOKEN_FILE), or run as the owner of ${file}; if you did not put it there, remove it`,
      );
    }
  }
  if (st.uid !== me && st.uid !== 0) assertParentTrusted(dir, st);
  return st;
}

/**
 * A directory of another user is that user's only if she could not have made it where anyone
 * can. Its real parent: a profiles/ that the state directory's owner made a link into /tmp is
 * judged where it is.
 */
function assertParentTrusted(dir: string, st: Stats): void {
  const parent = dirname(realpathQuietly(dir));
  let up: Stats;
  try {
    up = statSync(parent);
  } catch {
    return;
  }
  if (!writableByOthers(up)) return;
  throw storeError(
    `the token directory ${dir} belongs to ${describeUser(st.uid)} and sits in ${parent} (mode ${octal(up.mode)}), which others can write: anyone may have made it there; nothing was sent to hh.ru`,
    `keep the token file in a directory whose parent only its owner or root can write (e.g. /var/lib/hh-token), or make ${dir} yours`,
  );
}

function realpathQuietly(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
