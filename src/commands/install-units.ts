import { constants, statSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { loadConfig, type Config, type GlobalOptions } from '../config';
import { configError, HhOauthError, usageError } from '../errors';
import { accountExists, firstLine, runTool, systemdCalendarCheck, type ToolRun } from '../host-tools';
import { applyFile, planFile, planLink, restoreFile, type PlannedFile } from '../managed-files';
import { log, result } from '../output';
import { lookupInFile } from '../system-accounts';
import { packageBin } from '../templates';
import { EXPIRY_TIMER, homeAccess, NGINX_FILE, REFRESH_TIMER, renderAll, SERVICE, type UnitSettings } from '../unit-plan';
import {
  checkAbsolutePath,
  checkAccountName,
  checkCalendarChars,
  checkCalendarPattern,
  checkHostname,
  checkHostPort,
  checkInterval,
  checkListen,
  checkNginxPath,
  type Checked,
} from '../validators';

export interface InstallUnitsOptions extends GlobalOptions {
  serverName?: string;
  listen: string;
  callbackUpstream: string;
  appUpstream?: string;
  onCalendar?: string[];
  expiryCheck: string;
  user: string;
  tokenGroup?: string;
  clientSecretFile?: string;
  node?: string;
  root?: string;
  systemdDir: string;
  nginxDir: string;
  nginxLogDir: string;
  nginxConf?: string;
  nginx: boolean;
  enable: boolean;
  force?: boolean;
  dryRun?: boolean;
}

export const DEFAULT_CALENDAR = '*-*-* 17:00:00';

/** A refused value is a usage error that names the option it came from. */
function need<T>(option: string, checked: Checked<T>): T {
  if (!checked.ok) throw usageError(`${option} ${checked.reason}`);
  return checked.value;
}

export default async function installUnits(opts: InstallUnitsOptions): Promise<void> {
  const config = loadConfig(opts, { HH_CLIENT_SECRET_FILE: opts.clientSecretFile });
  const settings = await validate(opts, config);
  const { files: rendered, warnings } = renderAll(settings);
  warnings.forEach((w) => log.warn(w));

  const root = opts.root ? need('--root', checkAbsolutePath(opts.root)) : '/';
  const systemdDir = join(root, need('--systemd-dir', checkAbsolutePath(opts.systemdDir)));
  const nginxDir = join(root, need('--nginx-dir', checkAbsolutePath(opts.nginxDir)));

  const planned: PlannedFile[] = [];
  for (const file of rendered) {
    planned.push(await planFile(join(file.dialect === 'nginx' ? nginxDir : systemdDir, file.name), file.content));
  }
  // Debian layout: the config lives in sites-available and is enabled by a link.
  if (settings.nginx && basename(nginxDir) === 'sites-available') {
    const link = join(dirname(nginxDir), 'sites-enabled', NGINX_FILE);
    planned.push(await planLink(link, `../sites-available/${NGINX_FILE}`, join(nginxDir, `${NGINX_FILE}.sites-enabled.bak`)));
  }
  const conflicts = planned.filter((f) => f.conflict);

  if (opts.dryRun) return dryRun(planned, await dryRunAccounts(settings, Boolean(opts.root)));

  if (conflicts.length && !opts.force) {
    throw configError(
      `${conflicts.map((f) => f.path).join(', ')} ${conflicts.length > 1 ? 'were' : 'was'} changed by hand or not written by hh-oauth; nothing was written`,
      'compare with `hh-oauth install-units --dry-run …`, then rerun with --force (the old file is kept as .bak)',
    );
  }

  const accounts = opts.root ? skippedAccounts(settings) : await ensureAccounts(settings);
  if (!opts.root) warnUnreadable(settings);
  for (const file of planned) {
    await applyFile(file);
    if (file.conflict) log.warn(`replaced ${file.path}${file.previous && 'content' in file.previous ? `; the old one is ${file.backup}` : ''}`);
    log.info(`${file.action} ${file.path}`);
  }

  const steps: ToolRun[] = [];
  if (!opts.enable || opts.root) {
    log.info(`not enabling anything (${opts.root ? '--root' : '--no-enable'}); to do it by hand: ${manualCommands(planned, settings).join(' && ')}`);
  } else {
    await enableUnits(planned, settings, steps, systemdDir);
    await reloadNginx(planned, opts.nginxConf, steps);
  }

  result(
    {
      files: planned.map((f) => ({ path: f.path, action: f.action })),
      ...accounts,
      steps: steps.map((s) => ({ command: s.command, status: s.status, ...(s.status === 'ok' ? {} : { detail: firstLine(s) }) })),
      dry_run: false,
    },
    planned.map((f) => `${f.action.padEnd(9)} ${f.path}`).join('\n'),
  );
}

async function validate(opts: InstallUnitsOptions, config: Config): Promise<UnitSettings> {
  const onCalendar: string[] = [];
  for (const raw of opts.onCalendar?.length ? opts.onCalendar : [DEFAULT_CALENDAR]) {
    const spec = need('--on-calendar', checkCalendarChars(raw));
    // systemd's own parser when it is here; a strict pattern otherwise.
    const verdict = await systemdCalendarCheck(spec);
    if (verdict === null) need('--on-calendar', checkCalendarPattern(spec));
    else if (!verdict.ok) throw usageError(`--on-calendar "${spec}" is refused by systemd-analyze calendar: ${verdict.message}`);
    onCalendar.push(spec);
  }

  const node = need('--node', checkAbsolutePath(opts.node ?? process.execPath));
  if (!opts.root) {
    try {
      await access(node, constants.X_OK);
    } catch {
      throw usageError(`--node ${node} is not an executable file`);
    }
  }
  const bin = packageBin();
  const binOk = checkAbsolutePath(bin);
  if (!binOk.ok) {
    throw configError(`hh-oauth is installed at a path that cannot go into a unit file: it ${binOk.reason}`, 'install it under a plain path, e.g. `npm install -g hh-oauth` or /opt/hh-oauth');
  }

  const settings: UnitSettings = {
    node,
    bin,
    user: need('--user', checkAccountName(opts.user)),
    tokenGroup: opts.tokenGroup === undefined ? undefined : need('--token-group', checkAccountName(opts.tokenGroup)),
    environmentFile: opts.envFile === undefined ? undefined : need('--env-file', checkAbsolutePath(resolve(opts.envFile))),
    secretFile: secretFile(config),
    onCalendar,
    expiry: need('--expiry-check', checkInterval(opts.expiryCheck)),
  };
  if (settings.environmentFile && config.get('HH_CLIENT_SECRET')?.origin === 'env-file') {
    log.warn(`${settings.environmentFile} holds HH_CLIENT_SECRET; the unit removes it from the service's environment (UnsetEnvironment=). Keep the secret in a root-only file and pass --client-secret-file instead`);
  }
  if (opts.nginx) settings.nginx = nginxSettings(opts, config);
  if (opts.nginxConf !== undefined) need('--nginx-conf', checkAbsolutePath(opts.nginxConf));
  return settings;
}

function secretFile(config: Config): string | undefined {
  const setting = config.get('HH_CLIENT_SECRET_FILE');
  if (!setting) {
    if (config.get('HH_CLIENT_SECRET')) {
      log.info('the service does not need the client secret to refresh; to hand it one anyway, put it in a root-only file and pass --client-secret-file (it goes in through LoadCredential=)');
    }
    return undefined;
  }
  const checked = checkAbsolutePath(resolve(setting.value));
  if (checked.ok) return checked.value;
  if (setting.origin === 'flag') throw usageError(`--client-secret-file ${checked.reason}`);
  throw configError(`HH_CLIENT_SECRET_FILE ${checked.reason}`);
}

function nginxSettings(opts: InstallUnitsOptions, config: Config): UnitSettings['nginx'] {
  let serverName: string;
  if (opts.serverName !== undefined) {
    serverName = need('--server-name', checkHostname(opts.serverName));
  } else {
    const redirect = config.optionalUrl('HH_REDIRECT_URI', 'install-units');
    if (!redirect) throw usageError('--server-name is required for the nginx config (or set HH_REDIRECT_URI, or pass --no-nginx)');
    const host = checkHostname(new URL(redirect).hostname);
    if (!host.ok) throw configError(`the host of HH_REDIRECT_URI ${host.reason}`, 'pass --server-name');
    serverName = host.value;
    log.info(`nginx server_name ${serverName} (from HH_REDIRECT_URI)`);
  }
  return {
    serverName,
    listen: need('--listen', checkListen(opts.listen)),
    callbackUpstream: need('--callback-upstream', checkHostPort(opts.callbackUpstream)),
    appUpstream: opts.appUpstream === undefined ? undefined : need('--app-upstream', checkHostPort(opts.appUpstream)),
    logDir: need('--nginx-log-dir', checkNginxPath(opts.nginxLogDir)),
  };
}

async function dryRunAccounts(s: UnitSettings, rooted: boolean): Promise<Accounts> {
  if (rooted) return skippedAccounts(s);
  const state = async (db: 'passwd' | 'group', name: string) => ((await accountExists(db, name, lookupInFile)) ? 'exists' : 'would-create');
  return {
    user: { name: s.user, action: await state('passwd', s.user) },
    ...(s.tokenGroup ? { token_group: { name: s.tokenGroup, action: await state('group', s.tokenGroup) } } : {}),
  };
}

function dryRun(planned: PlannedFile[], accounts: Accounts): void {
  for (const f of planned.filter((p) => p.conflict)) log.warn(`${f.path} was changed by hand or not written by hh-oauth: a real run needs --force (and keeps a .bak)`);
  result(
    {
      files: planned.map((f) => ({
        path: f.path,
        action: f.action,
        ...(f.link !== undefined ? { link: f.link } : { content: f.content }),
        ...(f.conflict ? { needs_force: true } : {}),
      })),
      ...accounts,
      dry_run: true,
    },
    planned
      .map((f) => (f.link !== undefined ? `# ==> ${f.path} -> ${f.link} (${f.action}) <==\n` : `# ==> ${f.path} (${f.action}) <==\n${f.content}`))
      .join('\n'),
  );
  log.info('dry run: nothing was written');
}

type Accounts = { user: { name: string; action: string }; token_group?: { name: string; action: string } };

function skippedAccounts(s: UnitSettings): Accounts {
  log.info(`--root: not creating the user ${s.user}${s.tokenGroup ? ` or the group ${s.tokenGroup}` : ''}; the target system must have them`);
  return { user: { name: s.user, action: 'skipped' }, ...(s.tokenGroup ? { token_group: { name: s.tokenGroup, action: 'skipped' } } : {}) };
}

/** The service runs as a dedicated system user, created here when missing; never root. */
async function ensureAccounts(s: UnitSettings): Promise<Accounts> {
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
function warnUnreadable(s: UnitSettings): void {
  const home = homeAccess(s.node, s.bin);
  const checks: Array<[string, number]> = [[s.node, 0o005], [s.bin, 0o004], [join(dirname(dirname(s.bin)), 'dist', 'cli.js'), 0o004]];
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
    log.warn(`the service user ${s.user} may not be able to reach ${[...new Set(bad)].join(', ')}; run \`chmod o+rX\` on them, or install hh-oauth elsewhere (e.g. npm install -g)`);
  }
}

function timers(planned: PlannedFile[], s: UnitSettings): string[] {
  return [REFRESH_TIMER, ...(s.expiry === 'off' ? [] : [EXPIRY_TIMER])].filter((name) => planned.some((f) => basename(f.path) === name));
}

function manualCommands(planned: PlannedFile[], s: UnitSettings): string[] {
  const commands = ['systemctl daemon-reload', `systemctl enable --now ${timers(planned, s).join(' ')}`];
  if (s.nginx) commands.push('nginx -t', 'systemctl reload nginx');
  return commands;
}

async function enableUnits(planned: PlannedFile[], s: UnitSettings, steps: ToolRun[], systemdDir: string): Promise<void> {
  const unitsChanged = planned.some((f) => f.action !== 'unchanged' && f.path.startsWith(systemdDir + '/'));
  const runs: Array<[string, string[]]> = [];
  if (unitsChanged) runs.push(['systemctl', ['daemon-reload']]);
  runs.push(['systemctl', ['enable', '--now', ...timers(planned, s)]]);
  if (s.expiry === 'off' && statSync(join(systemdDir, EXPIRY_TIMER), { throwIfNoEntry: false })) {
    runs.push(['systemctl', ['disable', '--now', EXPIRY_TIMER]]);
    log.warn(`--expiry-check off: disabling ${EXPIRY_TIMER}; its file ${join(systemdDir, EXPIRY_TIMER)} is left in place`);
  }
  for (const [tool, args] of runs) {
    const run = await runTool(tool, args);
    steps.push(run);
    if (run.status === 'ok') log.info(`ran ${run.command}`);
    else if (run.status === 'missing') return missing(tool, runs.map(([t, a]) => [t, ...a].join(' ')));
    else log.warn(`${run.command} failed: ${firstLine(run)}; run it yourself once the problem is fixed`);
  }
}

function missing(tool: string, commands: string[]): void {
  log.warn(`${tool} is not installed or not on PATH; run these yourself: ${commands.join(' && ')}`);
}

/** nginx -t before reloading; a refused config is rolled back so the running nginx keeps working. */
async function reloadNginx(planned: PlannedFile[], mainConf: string | undefined, steps: ToolRun[]): Promise<void> {
  const nginxFiles = planned.filter((f) => basename(f.path) === NGINX_FILE);
  if (!nginxFiles.some((f) => f.action !== 'unchanged')) return;
  const testArgs = ['-t', ...(mainConf ? ['-c', mainConf] : [])];
  const test = await runTool('nginx', testArgs);
  steps.push(test);
  if (test.status === 'missing') return missing('nginx', [`nginx ${testArgs.join(' ')}`, 'systemctl reload nginx']);
  if (test.status === 'failed') {
    for (const file of nginxFiles) await restoreFile(file);
    const emerg = `${test.stderr}`.split('\n').find((l) => /\[(emerg|alert|crit|error)\]/.test(l)) ?? firstLine(test);
    throw new HhOauthError('config', `nginx -t refused the new configuration, so the previous one was put back: ${emerg.trim()}`, {
      suggestion: 'fix the option it complains about (an upstream host must resolve), or the other nginx config, and run install-units again',
    });
  }
  log.info('nginx -t accepted the configuration');
  const reload = await runTool('systemctl', ['reload', 'nginx']);
  steps.push(reload);
  if (reload.status === 'ok') log.info('reloaded nginx');
  else if (reload.status === 'missing') missing('systemctl', ['systemctl reload nginx']);
  else log.warn(`systemctl reload nginx failed: ${firstLine(reload)}; reload nginx yourself`);
}
