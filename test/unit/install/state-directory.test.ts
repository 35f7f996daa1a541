import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStateDirectory } from '../../../src/install/state-directory';
import { canUseLocalUsers, localGroup, localUser, requires, SERVICE_USER, TOKEN_GROUP, type LocalUser } from '../../helpers';

/**
 * install-units makes the unit's state directory as systemd would on the first start, so
 * that root's first login writes into the service user's directory (issue 15, scenario 2).
 */
describe('the state directory install-units makes', () => {
  const NEEDS = 'root, useradd and setpriv (real local users)';
  let service: LocalUser;
  let tokenGid: number;
  let base: string;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'hh-state-'));
    if (!canUseLocalUsers) return;
    tokenGid = localGroup(TOKEN_GROUP);
    service = localUser(SERVICE_USER, [TOKEN_GROUP]);
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  const of = (path: string) => {
    const st = statSync(path);
    return { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
  };

  it('with a token group: the service user\'s, in the group, 0750', async (ctx) => {
    requires(ctx, NEEDS, canUseLocalUsers);
    const dir = join(base, 'grouped');
    expect(await ensureStateDirectory(SERVICE_USER, TOKEN_GROUP, dir)).toBe('created');
    expect(of(dir)).toEqual({ uid: service.uid, gid: tokenGid, mode: 0o750 });
  });

  it('without one: the service user\'s, in its own group, 0700', async (ctx) => {
    requires(ctx, NEEDS, canUseLocalUsers);
    const dir = join(base, 'private');
    expect(await ensureStateDirectory(SERVICE_USER, undefined, dir)).toBe('created');
    expect(of(dir)).toEqual({ uid: service.uid, gid: service.gid, mode: 0o700 });
  });

  it('one that exists is left as it is (systemd hands it over at the next start)', async (ctx) => {
    requires(ctx, NEEDS, canUseLocalUsers);
    const dir = join(base, 'existing');
    mkdirSync(dir, { mode: 0o700 });
    const before = of(dir);
    expect(await ensureStateDirectory(SERVICE_USER, TOKEN_GROUP, dir)).toBe('exists');
    expect(of(dir)).toEqual(before);
  });
});
