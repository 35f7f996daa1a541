import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { lookupInFile } from '../../src/system/accounts';
import { findTool, isRoot } from './tools';

/**
 * Real local accounts for the tests that play a second user on a shared server: the
 * service user that owns the state directory, another local user who would like its
 * token, a bot in the token group. Created in the test setup when missing (system
 * accounts, no home), and acted as with setpriv, the way systemd's User=/Group= starts
 * the service. Needs root, useradd and setpriv; in CI they must be there.
 */
export interface LocalUser {
  name: string;
  uid: number;
  /** Its own (user-private) group. */
  gid: number;
  /** A command prefix that runs the command after it as this user: primary group `gid`, supplementary groups `groups` only. */
  wrap(opts?: { gid?: number; groups?: number[] }): string[];
}

export const SERVICE_USER = 'hh-e2e-service';
export const OTHER_USER = 'hh-e2e-other';
export const BOT_USER = 'hh-e2e-bot';
export const TOKEN_GROUP = 'hh-e2e-token';

/** Whether this machine can make and become local users: root, useradd, groupadd, setpriv. */
export const canUseLocalUsers = isRoot && [findTool('useradd'), findTool('groupadd'), findTool('setpriv')].every(Boolean);

/** useradd and groupadd lock /etc/passwd; another test file may hold that lock for a moment. */
function retried(tool: string, args: string[]): void {
  let last = '';
  for (let i = 0; i < 50; i++) {
    const out = spawnSync(findTool(tool)!, args, { encoding: 'utf8' });
    // 9: the name exists (another file created it in between); that is what we wanted.
    if (out.status === 0 || out.status === 9) return;
    last = `${out.stderr}`.trim();
    spawnSync('sleep', ['0.1']);
  }
  throw new Error(`${tool} ${args.join(' ')} failed: ${last}`);
}

export function localGroup(name: string): number {
  if (lookupInFile('group', name) === undefined) retried('groupadd', ['--system', name]);
  const gid = lookupInFile('group', name);
  if (gid === undefined) throw new Error(`group ${name} missing after groupadd`);
  return gid;
}

/** The user, created if missing (with a group of its own), and made a member of `memberOf`. */
export function localUser(name: string, memberOf: string[] = []): LocalUser {
  if (lookupInFile('passwd', name) === undefined) {
    retried('useradd', ['--system', '--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', name]);
  }
  for (const group of memberOf) {
    localGroup(group);
    const members = spawnSync('getent', ['group', group], { encoding: 'utf8' }).stdout.trim().split(':')[3]?.split(',') ?? [];
    if (!members.includes(name)) retried('usermod', ['--append', '--groups', group, name]);
  }
  const uid = lookupInFile('passwd', name);
  const gid = lookupInFile('group', name);
  if (uid === undefined || gid === undefined) throw new Error(`user ${name} missing after useradd`);
  return {
    name,
    uid,
    gid,
    wrap: (opts = {}) => {
      const groups = opts.groups ?? [];
      return ['setpriv', `--reuid=${uid}`, `--regid=${opts.gid ?? gid}`, groups.length ? `--groups=${groups.join(',')}` : '--clear-groups', '--'];
    },
  };
}

/** A HOME and config directory of the user's own inside the test's workspace (the CLI saves settings there). */
export function homeFor(user: LocalUser, workspace: string): { HOME: string; HH_CONFIG_DIR: string } {
  const home = join(workspace, `home-${user.name}`);
  mkdirSync(join(home, 'config'), { recursive: true, mode: 0o700 });
  chownSync(home, user.uid, user.gid);
  chownSync(join(home, 'config'), user.uid, user.gid);
  return { HOME: home, HH_CONFIG_DIR: join(home, 'config') };
}

/** Runs a command as the user, for setup steps such as a file the user plants; returns its exit status. */
export function runAs(user: LocalUser, command: string[], opts: { gid?: number; groups?: number[] } = {}): { status: number | null; stdout: string; stderr: string } {
  const [tool, ...args] = [...user.wrap(opts), ...command];
  const out = spawnSync(tool!, args, { encoding: 'utf8' });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}
