import { spawnSync } from 'node:child_process';
import { isRoot } from './tools';

/**
 * A second local account, real, for the tests of what hh-oauth trusts: the other user on a
 * shared server who owns a file that root might read, or who runs hh-oauth itself. Created
 * on first use (root only) with `useradd --system --no-create-home`, and kept: creating it
 * again in every run would only race between test files.
 */
export const PEER_NAME = 'hh-oauth-peer';

export interface Peer {
  name: string;
  uid: number;
  gid: number;
  /** Runs the command after it as this user, without root's groups. */
  as: string[];
}

function lookup(name: string): Peer | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  const [u, g] = [Number(uid.stdout.trim()), Number(gid.stdout.trim())];
  return { name, uid: u, gid: g, as: ['setpriv', `--reuid=${u}`, `--regid=${g}`, '--clear-groups', '--'] };
}

let cached: Peer | undefined | null = null;

/** The second user, created if missing; undefined where that is impossible (not root, no useradd). */
export function secondUser(): Peer | undefined {
  if (cached !== null) return cached;
  cached = undefined;
  if (!isRoot) return undefined;
  let peer = lookup(PEER_NAME);
  // Another test file may be creating it, or hold /etc/passwd's lock for another account
  // (useradd then fails at once): look again whatever useradd says, and try a few times.
  for (let attempt = 0; !peer && attempt < 10; attempt++) {
    if (attempt > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    spawnSync('useradd', ['--system', '--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', PEER_NAME], { stdio: 'ignore' });
    peer = lookup(PEER_NAME);
  }
  cached = peer && spawnSync(peer.as[0]!, [...peer.as.slice(1), 'true']).status === 0 ? peer : undefined;
  return cached;
}
