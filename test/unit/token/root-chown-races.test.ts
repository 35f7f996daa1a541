import { chmodSync, chownSync, existsSync, lstatSync, readFileSync, mkdirSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ensureDir } from '../../../src/token/directory';
import { keptPairPath, settleKeptPair } from '../../../src/token/kept-pair';
import { decideStoreOwner } from '../../../src/token/ownership';
import { quarantine } from '../../../src/token/quarantine';
import { isRoot, requires, useTempDirs } from '../../helpers';

/**
 * Root writing into a directory that another user owns (the service user's state
 * directory) must never chown or chmod through a name that user can swap: she may rename
 * anything in her own directory, so a path given to chown after a check can be a symbolic
 * link to /etc/shadow by then. The attacker's move is played here at the worst instant
 * (right after hh-oauth looked at the name), through the real file system, as root.
 */
const attack = vi.hoisted(() => ({ swap: undefined as ((path: string) => void) | undefined, refuseLinks: false }));

vi.mock('../../../src/files/capped-read', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/files/capped-read')>();
  return {
    ...real,
    readCapped: (...args: Parameters<typeof real.readCapped>) => {
      const result = real.readCapped(...args);
      attack.swap?.(args[0]);
      return result;
    },
  };
});

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const mkdir = async (...args: Parameters<typeof real.mkdir>) => {
    const made = await real.mkdir(...args);
    attack.swap?.(String(args[0]));
    return made;
  };
  // The directory's owner can make link() fail (EMLINK: 65000 names for her file, or a file system without hard links).
  const link = async (...args: Parameters<typeof real.link>) => {
    if (attack.refuseLinks) throw Object.assign(new Error('EMLINK: too many links'), { code: 'EMLINK' });
    return real.link(...args);
  };
  return { ...real, mkdir, link, default: { ...real, mkdir, link } };
});

const tempDir = useTempDirs('hh-chown-race-');
const SERVICE_UID = 64998;
const SERVICE_GID = 64997;
let storeDir: string;
let victim: string;
beforeEach(() => {
  attack.swap = undefined;
  attack.refuseLinks = false;
  const root = tempDir();
  storeDir = join(root, 'state');
  mkdirSync(storeDir, { mode: 0o750 });
  victim = join(root, 'shadow');
});

function swapForLink(name: string, target: string): (path: string) => void {
  return (path) => {
    if (basename(path) !== name || lstatSync(path).isSymbolicLink()) return;
    attack.swap = undefined;
    renameSync(path, `${path}.moved`);
    symlinkSync(target, path);
  };
}

describe('root adopting a root-owned kept pair for the directory\'s owner', () => {
  it('gives away the file it read, never what its name points to a moment later', async (ctx) => {
    requires(ctx, 'root (to chown for another user)', isRoot);
    writeFileSync(victim, 'root:secret-hash:::\n', { mode: 0o600 });
    const path = join(storeDir, 'token.json');
    writeFileSync(path, '{"access_token":"A1","refresh_token":"R1"}', { mode: 0o600 });
    const kept = await keptPairPath(path);
    writeFileSync(kept, '{"access_token":"A2","refresh_token":"R2"}', { mode: 0o600 });
    chownSync(storeDir, SERVICE_UID, SERVICE_GID);
    const owner = decideStoreOwner(0, statSync(storeDir));
    expect(owner.forOwner).toBe(true);
    attack.swap = swapForLink(basename(kept), victim);
    await settleKeptPair(path, owner.writers, owner).catch(() => undefined);
    const st = statSync(victim);
    expect({ uid: st.uid, gid: st.gid, mode: st.mode & 0o777 }, 'the file the link points to is untouched').toEqual({ uid: 0, gid: 0, mode: 0o600 });
    expect(statSync(`${kept}.moved`).uid, 'the pair that was read is the one handed over').toBe(SERVICE_UID);
  });
});

describe('root making profiles/ in the service user\'s directory', () => {
  it('never chowns or chmods a directory that the new name was swapped for', async (ctx) => {
    requires(ctx, 'root (to chown for another user)', isRoot);
    mkdirSync(victim, { mode: 0o755 });
    chownSync(storeDir, SERVICE_UID, SERVICE_GID);
    chmodSync(storeDir, 0o700);
    attack.swap = swapForLink('profiles', victim);
    await ensureDir(join(storeDir, 'profiles')).catch(() => undefined);
    const st = statSync(victim);
    expect({ uid: st.uid, gid: st.gid, mode: st.mode & 0o777 }, 'the directory the link points to is untouched').toEqual({ uid: 0, gid: 0, mode: 0o755 });
  });

  it('a level above the new one swapped for a link: the new one (made through it) is not given away', async (ctx) => {
    requires(ctx, 'root (to chown for another user)', isRoot);
    mkdirSync(victim, { mode: 0o755 });
    chownSync(storeDir, SERVICE_UID, SERVICE_GID);
    chmodSync(storeDir, 0o700);
    attack.swap = swapForLink('a', victim);
    await ensureDir(join(storeDir, 'a', 'b')).catch(() => undefined);
    const made = lstatSync(join(victim, 'b'), { throwIfNoEntry: false });
    if (made) expect(made.uid, 'a directory made through the link, given to her').toBe(0);
    expect(statSync(victim).uid).toBe(0);
  });

  it('still makes two levels for the directory\'s owner (no attack)', async (ctx) => {
    requires(ctx, 'root (to chown for another user)', isRoot);
    chownSync(storeDir, SERVICE_UID, SERVICE_GID);
    await ensureDir(join(storeDir, 'a', 'b'));
    for (const level of [join(storeDir, 'a'), join(storeDir, 'a', 'b')]) expect(lstatSync(level).uid).toBe(SERVICE_UID);
  });

  it('still gives a new profiles/ to the directory\'s owner (no attack)', async (ctx) => {
    requires(ctx, 'root (to chown for another user)', isRoot);
    chownSync(storeDir, SERVICE_UID, SERVICE_GID);
    chmodSync(storeDir, 0o700);
    await ensureDir(join(storeDir, 'profiles'));
    const st = lstatSync(join(storeDir, 'profiles'));
    expect({ dir: st.isDirectory(), uid: st.uid, gid: st.gid, mode: st.mode & 0o777 }).toEqual({ dir: true, uid: SERVICE_UID, gid: SERVICE_GID, mode: 0o700 });
  });
});

describe('root keeping a damaged token file aside in the service user\'s directory, by copy', () => {
  it('never copies what the token file\'s name was swapped to point at into a file of hers', async (ctx) => {
    requires(ctx, 'root (to chown for another user)', isRoot);
    writeFileSync(victim, 'root:secret-hash:::\n', { mode: 0o600 });
    const path = join(storeDir, 'token.json');
    // Damaged when hh-oauth read it; a link to root's file by the time it is set aside.
    symlinkSync(victim, path);
    chownSync(storeDir, SERVICE_UID, SERVICE_GID);
    attack.refuseLinks = true;
    const aside = await quarantine(path).then((q) => q.aside, () => undefined);
    if (aside !== undefined && existsSync(aside)) {
      expect(readFileSync(aside, 'utf8'), 'root\'s file copied into the store').not.toContain('secret-hash');
    }
    expect(statSync(victim).uid).toBe(0);
  });
});
