import { statSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errnoCode, HhOauthError, reauthorizeError, storeError } from '../errors';
import { isDue, secondsLeft } from './expiry';
import { readToken } from './read';
import { isCorruptError } from './record';
import { isMovedError } from '../store/moved';
import { nameInFile } from '../system/accounts';

/**
 * What the token file looks like, read without the network and without changing
 * anything (no chmod, no quarantine): `status` prints it, `doctor` can judge it.
 */
/** `moved`: `store copy` moved the pair to another store (the file holds only the mark, src/store/moved.ts). */
export type TokenState = 'valid' | 'expired-refreshable' | 'missing' | 'corrupt' | 'unreadable' | 'moved';

export interface TokenFileStatus {
  token_file: string;
  state: TokenState;
  owner: { uid: number; user: string | null; gid: number; group: string | null } | null;
  /** Octal permission bits, e.g. "0600"; null when the file is missing. */
  mode: string | null;
  /** False when group may write or others may read (looser than 0600/0640). */
  mode_ok: boolean | null;
  obtained_at: string | null;
  expires_at: string | null;
  /** True for files of the old bash tooling: expires_at is the file's mtime + expires_in. */
  expires_at_derived: boolean | null;
  /** Whole seconds until expiry; 0 once expired. */
  seconds_left: number | null;
  /** Why the file is missing, corrupt or unreadable, in one line. */
  problem: string | null;
}

/** The error that matches a state that is not fine; undefined for valid and expired-refreshable. */
export function stateError(status: TokenFileStatus, cause?: HhOauthError): HhOauthError | undefined {
  if (status.state === 'missing') return reauthorizeError(`no token file at ${status.token_file}`);
  if (status.state === 'corrupt' || status.state === 'unreadable') return cause ?? storeError(status.problem ?? `${status.token_file} is damaged`);
  return undefined;
}

export async function inspectTokenFile(path: string, now: Date = new Date()): Promise<{ status: TokenFileStatus; error?: HhOauthError }> {
  const status: TokenFileStatus = {
    token_file: path,
    state: 'missing',
    owner: null,
    mode: null,
    mode_ok: null,
    obtained_at: null,
    expires_at: null,
    expires_at_derived: null,
    seconds_left: null,
    problem: null,
  };
  try {
    const info = await lstat(path);
    const mode = info.mode & 0o777;
    status.owner = { uid: info.uid, user: nameOf('passwd', info.uid), gid: info.gid, group: nameOf('group', info.gid) };
    status.mode = `0${mode.toString(8).padStart(3, '0')}`;
    status.mode_ok = (mode & 0o137) === 0;
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') {
      const denied = isDenied(err);
      status.state = denied ? 'unreadable' : 'corrupt';
      status.problem = `cannot examine ${path} (${errnoCode(err) ?? 'error'})`;
      return { status, error: storeError(status.problem, denied ? deniedHint(dirname(path)) : 'check HH_TOKEN_FILE and the permissions of its directory', err) };
    }
  }

  let token;
  try {
    token = await readToken(path, { tighten: false });
  } catch (err) {
    if (!(err instanceof HhOauthError)) throw err;
    if (isMovedError(err)) {
      status.state = 'moved';
      status.problem = err.message;
      return { status, error: err };
    }
    // A file this user may not open is not a damaged one: say so, and how to read it.
    const denied = !isCorruptError(err) && isDenied(err.cause);
    status.state = denied ? 'unreadable' : 'corrupt';
    status.problem = err.message;
    return { status, error: denied ? storeError(err.message, deniedHint(path), err.cause) : err };
  }
  if (!token) {
    status.problem = `no token file at ${path}`;
    return { status, error: stateError(status) };
  }
  status.state = isDue(token.expiresAt, now) ? 'expired-refreshable' : 'valid';
  status.obtained_at = token.obtainedAt?.toISOString() ?? null;
  status.expires_at = token.expiresAt.toISOString();
  status.expires_at_derived = token.legacy;
  status.seconds_left = Math.max(0, secondsLeft(token.expiresAt, now));
  return { status };
}

const isDenied = (err: unknown) => errnoCode(err) === 'EACCES' || errnoCode(err) === 'EPERM';

/** How to read a file (or enter a directory) this user may not: as its owner, as root, or from its group. */
function deniedHint(path: string): string {
  let owner: { uid: number; gid: number; mode: number } | undefined;
  try {
    owner = statSync(path);
  } catch {
    owner = undefined;
  }
  if (!owner) return 'run as the owner of the token file or as root (e.g. `sudo hh-oauth status`)';
  const user = nameInFile('passwd', owner.uid) ?? `#${owner.uid}`;
  const group = nameInFile('group', owner.gid) ?? String(owner.gid);
  const viaGroup = owner.mode & 0o040 ? `, or join its group (\`usermod -aG ${group} $USER\`, then log in again)` : '';
  return `run as its owner (\`sudo -u ${user} hh-oauth status\`) or as root${viaGroup}`;
}

/** The name for a uid/gid from /etc/passwd or /etc/group (no NSS: good enough for local service users). */
const nameOf = (db: 'passwd' | 'group', id: number): string | null => nameInFile(db, id) ?? null;
