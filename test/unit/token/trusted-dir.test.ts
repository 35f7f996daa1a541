import { chmodSync, chownSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HhOauthError } from '../../../src/errors';
import { assertTrustedDir } from '../../../src/token/trusted-dir';
import { canUseLocalUsers, localUser, OTHER_USER, requires, SERVICE_USER, type LocalUser, useTempDirs } from '../../helpers';

/**
 * A token directory that others can write is refused (exit 7, naming it and the fix),
 * unless it is sticky and the file is ours; a directory of another user must not sit
 * where anyone could have made it.
 */
const tempDir = useTempDirs('hh-trust-');
let other: LocalUser;
let service: LocalUser;
beforeAll(() => {
  if (!canUseLocalUsers) return;
  other = localUser(OTHER_USER);
  service = localUser(SERVICE_USER);
});

function dirWithMode(mode: number): string {
  const base = tempDir();
  const dir = join(base, 'state');
  mkdirSync(dir);
  chmodSync(dir, mode);
  return dir;
}

const refusal = (fn: () => unknown): HhOauthError => {
  try {
    fn();
  } catch (err) {
    return err as HhOauthError;
  }
  throw new Error('not refused');
};

describe('assertTrustedDir', () => {
  const me = process.getuid!();

  it.each([['0700', 0o700], ['0750', 0o750], ['0755', 0o755], ['2750', 0o2750]])('mode %s: accepted', (_name, mode) => {
    const dir = dirWithMode(mode);
    expect(assertTrustedDir(dir, join(dir, 'token.json'), me)?.isDirectory()).toBe(true);
  });

  it.each([
    ['0777', 0o777, /can be written by others \(mode 0777/],
    ['0770', 0o770, /can be written by others \(mode 0770/],
    ['0775', 0o775, /can be written by others \(mode 0775/],
  ])('mode %s: exit 7 naming the directory and the chmod that fixes it', (_name, mode, message) => {
    const dir = dirWithMode(mode);
    const err = refusal(() => assertTrustedDir(dir, join(dir, 'token.json'), me));
    expect(err.exitCode).toBe(7);
    expect(err.message).toContain(dir);
    expect(err.message).toMatch(message);
    expect(err.suggestion).toContain(`chmod go-w ${dir}`);
  });

  it('sticky (1777): accepted for our file and for a file not made yet; refused for another user\'s', (ctx) => {
    requires(ctx, 'root and useradd (a real second user)', canUseLocalUsers);
    const dir = dirWithMode(0o1777);
    expect(assertTrustedDir(dir, join(dir, 'token.json'), me)).toBeDefined();
    expect(assertTrustedDir(dir, join(dir, 'token.json'), undefined)).toBeDefined();
    const err = refusal(() => assertTrustedDir(dir, join(dir, 'token.json'), other.uid));
    expect(err.exitCode).toBe(7);
    expect(err.message).toMatch(new RegExp(`mode 1777, owner root\\), and token\\.json belongs to ${OTHER_USER} \\(uid ${other.uid}\\), not to root`));
  });

  it('a directory of another user: accepted where only root can write its parent, refused where anyone could have made it', (ctx) => {
    requires(ctx, 'root and useradd (a real second user)', canUseLocalUsers);
    const safe = dirWithMode(0o700);
    chownSync(safe, service.uid, service.gid);
    expect(assertTrustedDir(safe, join(safe, 'token.json'), service.uid)).toBeDefined();

    const shared = dirWithMode(0o1777);
    const hers = join(shared, 'x');
    mkdirSync(hers, { mode: 0o755 });
    chownSync(hers, other.uid, other.gid);
    const err = refusal(() => assertTrustedDir(hers, join(hers, 'token.json'), undefined));
    expect(err.exitCode).toBe(7);
    expect(err.message).toContain(`sits in ${shared} (mode 1777)`);
  });

  it('a directory of another user reached through a link (a profiles/ the service user pointed elsewhere): judged where it really is', (ctx) => {
    requires(ctx, 'root and useradd (a real second user)', canUseLocalUsers);
    const state = dirWithMode(0o700);
    chownSync(state, service.uid, service.gid);
    const shared = dirWithMode(0o1777);
    const hers = join(shared, 'x');
    mkdirSync(hers, { mode: 0o755 });
    chownSync(hers, other.uid, other.gid);
    const profiles = join(state, 'profiles');
    symlinkSync(hers, profiles);
    const err = refusal(() => assertTrustedDir(profiles, join(profiles, 'acme.json'), undefined));
    expect(err.exitCode).toBe(7);
    expect(err.message).toContain(`sits in ${shared} (mode 1777)`);
  });

  it('a directory that does not exist yet: undefined (it is created private)', () => {
    expect(assertTrustedDir('/nonexistent-hh-oauth-dir', '/nonexistent-hh-oauth-dir/token.json', undefined)).toBeUndefined();
  });
});
