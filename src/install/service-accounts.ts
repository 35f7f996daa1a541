import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { configError, HhOauthError } from '../errors';
import { accountExists, firstLine, runTool } from '../system/host-tools';
import { log } from '../output';
import { lookupInFile } from '../system/accounts';
import { homeAccess, type UnitSettings } from './plan';

/** The service's user and token group: checked, created when missing, reported for --json. */
export type Accounts = { user: { name: string; action: string }; token_group?: { name: string; action: string } };

/** What a real run would do, without doing it. */
export async function plannedAccounts(s: UnitSettings, rooted: boolean): Promise<Accounts> {
  if (rooted) return skippedAccounts(s);
  const state = async (db: 'passwd' | 'group', name: string) => ((await accountExists(db, name, lookupInFile)) ? 'exists' : 'would-create');
  return {
    user: { name: s.user, action: await state('passwd', s.user) },
    ...(s.tokenGroup ? { token_group: { name: s.tokenGroup, action: await state('group', s.tokenGroup) } } : {}),
  };
}

export function skippedAccounts(s: UnitSettings): Accounts {
  log.info(`--root: not creating the user ${s.user}${s.tokenGroup ? ` or the group ${s.tokenGroup}` : ''}; the target system must have them`);
  return { user: { name: s.user, action: 'skipped' }, ...(s.tokenGroup ? { token_group: { name: s.tokenGroup, action: 'skipped' } } : {}) };
}

/** The service runs as a dedicated system user, created here when missing; never root. */
export async function ensureAccounts(s: UnitSettings): Promise<Accounts> {
  const accounts: Accounts = { user: { name: s.user, action: 'exists' } };
  if (s.tokenGroup) {
    accounts.token_group = { name: s.tokenGroup, action: 'exists' };
    if (!(await accountExists('group', s.tokenGroup, lookupInFile))) {
      await createAccount('groupadd', ['--system', s.tokenGroup], `the group ${s.tokenGroup}`);
      accounts.token_group.action = 'created';
    }
    log.info(`the token file will be readable by the group ${s.tokenGroup}: add the bot's user to it (usermod -aG ${s.tokenGroup} BOT_USER)`);
  }
  if (!(await accountExists('passwd', s.user, lookupInFile))) {
    const shell = statSync('/usr/sbin/nologin', { throwIfNoEntry: false }) ? '/usr/sbin/nologin' : '/bin/false';
    await createAccount(
      'useradd',
      ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', shell, '--comment', 'hh-oauth token refresh', s.user],
      `the system user ${s.user}`,
    );
    accounts.user.action = 'created';
  }
  return accounts;
}

async function createAccount(tool: string, args: string[], what: string): Promise<void> {
  const run = await runTool(tool, args);
  if (run.status === 'ok') return log.info(`created ${what}`);
  if (run.status === 'missing') {
    throw configError(`${tool} is not installed, so ${what} cannot be created`, `create it by hand: ${tool} ${args.join(' ')}`);
  }
  throw new HhOauthError('config', `cannot create ${what}: ${firstLine(run)}`, { suggestion: `run as root, or create it by hand: ${tool} ${args.join(' ')}` });
}

/**
 * The service user is not the owner of node or of the package; it needs "others"
 * permission on them (and on the directories above, except in a home directory,
 * which the unit replaces with a tmpfs). A warning, because group membership may cover it.
 */
export function warnUnreachable(s: UnitSettings): void {
  const home = homeAccess(s.node, s.bin);
  // The standalone binary must be executable by others; bin/hh-oauth and dist/ readable, and node executable.
  const checks: Array<[string, number]> =
    s.node === undefined ? [[s.bin, 0o005]] : [[s.node, 0o005], [s.bin, 0o004], [join(dirname(dirname(s.bin)), 'dist', 'cli.js'), 0o004]];
  const bad: string[] = [];
  for (const [path, bits] of checks) {
    const bound = home.binds.find((b) => path === b || path.startsWith(b + '/'));
    const floor = bound ? dirname(bound) : '/';
    for (let dir = dirname(path); dir.length > floor.length && dir !== '/'; dir = dirname(dir)) {
      const mode = statSync(dir, { throwIfNoEntry: false })?.mode;
      if (mode !== undefined && (mode & 0o001) === 0) bad.push(dir);
    }
    const mode = statSync(path, { throwIfNoEntry: false })?.mode;
    if (mode !== undefined && (mode & bits) !== bits) bad.push(path);
  }
  if (bad.length) {
    log.warn(`the service user ${s.user} may not be able to reach ${[...new Set(bad)].join(', ')}; run \`chmod o+rX\` on them, or install hh-oauth elsewhere (e.g. the .deb, /usr/bin/hh-oauth)`);
  }
}
