import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureDir } from '../../../src/token/directory';
import { decideStoreOwner, giveToStore, storeOwner } from '../../../src/token/ownership';
import { canUseLocalUsers, localGroup, localUser, OTHER_USER, requires, SERVICE_USER, TOKEN_GROUP, type LocalUser } from '../../helpers';

/**
 * Who owns what hh-oauth creates in a token directory (token/ownership.ts): this user, or
 * the directory's owner when root writes for it; the group and mode from HH_TOKEN_GROUP or
 * that directory, and from an old file only when it already belonged to that same owner.
 */
describe('the decision, from ids', () => {
  const TOKEN = { name: 'bots', gid: 990 };

  it('a user in a directory of their own: theirs, the kernel\'s group, 0600/0700', () => {
    expect(decideStoreOwner(1000, { uid: 1000, gid: 1000 })).toEqual({ uid: 1000, gid: undefined, tokenGroup: undefined, groupReads: false, fileMode: 0o600, dirMode: 0o700, forOwner: false, writers: [1000, 0] });
  });

  it('root in the service user\'s directory: the service user\'s, in the directory\'s group', () => {
    expect(decideStoreOwner(0, { uid: 998, gid: 997 })).toMatchObject({ uid: 998, gid: 997, fileMode: 0o600, dirMode: 0o700, forOwner: true, writers: [0, 998] });
  });

  it('with a token group: that group, 0640 and 0750, for root and for the service alike', () => {
    expect(decideStoreOwner(0, { uid: 998, gid: 997 }, TOKEN)).toMatchObject({ uid: 998, gid: 990, tokenGroup: 'bots', fileMode: 0o640, dirMode: 0o750 });
    expect(decideStoreOwner(998, { uid: 998, gid: 990 }, TOKEN)).toMatchObject({ uid: 998, gid: 990, fileMode: 0o640, forOwner: false });
  });

  it('root in the service user\'s directory that lets its group in (0750): that group may read, 0640 and 0750', () => {
    expect(decideStoreOwner(0, { uid: 998, gid: 990, mode: 0o40750 })).toMatchObject({ uid: 998, gid: 990, groupReads: true, fileMode: 0o640, dirMode: 0o750 });
    expect(decideStoreOwner(0, { uid: 998, gid: 990, mode: 0o40700 })).toMatchObject({ gid: 990, groupReads: false, fileMode: 0o600, dirMode: 0o700 });
  });

  it('a directory\'s group mode is never a licence for anyone but root writing for its owner', () => {
    // Root in its own 0750 directory, and the service in its own: the setting decides, as before.
    expect(decideStoreOwner(0, { uid: 0, gid: 990, mode: 0o40750 })).toMatchObject({ uid: 0, groupReads: false, fileMode: 0o600 });
    expect(decideStoreOwner(998, { uid: 998, gid: 990, mode: 0o40750 })).toMatchObject({ uid: 998, groupReads: false, fileMode: 0o600 });
  });

  it('root in its own directory stays root; a user in someone else\'s directory stays that user', () => {
    expect(decideStoreOwner(0, { uid: 0, gid: 0 })).toMatchObject({ uid: 0, gid: undefined, forOwner: false, writers: [0] });
    expect(decideStoreOwner(1000, { uid: 998, gid: 998 })).toMatchObject({ uid: 1000, forOwner: false, writers: [1000, 0, 998] });
  });
});

describe('on real files, as root with real local users', () => {
  let service: LocalUser;
  let other: LocalUser;
  let tokenGid: number;
  const dirs: string[] = [];
  beforeAll(() => {
    if (!canUseLocalUsers) return;
    tokenGid = localGroup(TOKEN_GROUP);
    service = localUser(SERVICE_USER, [TOKEN_GROUP]);
    other = localUser(OTHER_USER);
  });
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  afterEach(() => {
    delete process.env.HH_TOKEN_GROUP;
  });
  const NEEDS = 'root, useradd and setpriv (real local users)';

  /** The service user's state directory, and a new temp file in it given to the store as reservation.ts does. */
  async function written(prepare: (dir: string, path: string) => void = () => undefined): Promise<{ uid: number; gid: number; mode: number }> {
    const dir = mkdtempSync(join(tmpdir(), 'hh-owner-'));
    dirs.push(dir);
    chownSync(dir, service.uid, service.gid);
    const path = join(dir, 'token.json');
    prepare(dir, path);
    const temp = join(dir, 'new.tmp');
    const handle = await open(temp, 'wx', 0o600);
    try {
      await giveToStore(handle, path, storeOwner(dir));
    } finally {
      await handle.close();
    }
    const st = statSync(temp);
    return { uid: st.uid, gid: st.gid, mode: st.mode & 0o777 };
  }

  it('never copies the owner of a file another user owned there before', async (ctx) => {
    requires(ctx, NEEDS, canUseLocalUsers);
    const got = await written((_dir, path) => {
      writeFileSync(path, '{}', { mode: 0o644 });
      chownSync(path, other.uid, other.gid);
    });
    expect(got).toEqual({ uid: service.uid, gid: service.gid, mode: 0o600 });
  });

  it('keeps the group and 0640 of a file the same owner had (a bot keeps reading it)', async (ctx) => {
    requires(ctx, NEEDS, canUseLocalUsers);
    const got = await written((_dir, path) => {
      writeFileSync(path, '{}');
      chownSync(path, service.uid, tokenGid);
      chmodSync(path, 0o640);
    });
    expect(got).toEqual({ uid: service.uid, gid: tokenGid, mode: 0o640 });
  });

  it('HH_TOKEN_GROUP wins over the old file\'s group', async (ctx) => {
    requires(ctx, NEEDS, canUseLocalUsers);
    process.env.HH_TOKEN_GROUP = TOKEN_GROUP;
    const got = await written((_dir, path) => {
      writeFileSync(path, '{}', { mode: 0o600 });
      chownSync(path, service.uid, service.gid);
    });
    expect(got).toEqual({ uid: service.uid, gid: tokenGid, mode: 0o640 });
  });

  it('directories root creates there: the service user\'s, 0700, or 0750 in the token group, whatever the umask', async (ctx) => {
    requires(ctx, NEEDS, canUseLocalUsers);
    const dir = mkdtempSync(join(tmpdir(), 'hh-owner-'));
    dirs.push(dir);
    chownSync(dir, service.uid, service.gid);
    const old = process.umask(0o077);
    try {
      await ensureDir(join(dir, 'profiles'));
      process.env.HH_TOKEN_GROUP = TOKEN_GROUP;
      await ensureDir(join(dir, 'a', 'b'));
    } finally {
      process.umask(old);
    }
    const of = (p: string) => ({ uid: statSync(p).uid, gid: statSync(p).gid, mode: statSync(p).mode & 0o777 });
    expect(of(join(dir, 'profiles'))).toEqual({ uid: service.uid, gid: service.gid, mode: 0o700 });
    expect(of(join(dir, 'a'))).toEqual({ uid: service.uid, gid: tokenGid, mode: 0o750 });
    expect(of(join(dir, 'a', 'b'))).toEqual({ uid: service.uid, gid: tokenGid, mode: 0o750 });
  });

  it('root in its own directory: root\'s, 0600', async (ctx) => {
    requires(ctx, NEEDS, canUseLocalUsers);
    const dir = mkdtempSync(join(tmpdir(), 'hh-owner-'));
    dirs.push(dir);
    mkdirSync(join(dir, 's'), { mode: 0o700 });
    const handle = await open(join(dir, 's', 'x'), 'wx', 0o600);
    await giveToStore(handle, join(dir, 's', 'token.json'), storeOwner(join(dir, 's')));
    await handle.close();
    expect(statSync(join(dir, 's', 'x'))).toMatchObject({ uid: 0, gid: 0 });
    expect(statSync(join(dir, 's', 'x')).mode & 0o777).toBe(0o600);
  });
});
