import type { INSTALL_UNITS } from '../cli/commands';
import type { OptionsFor } from '../cli/spec';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { loadConfig, type Config } from '../config/config';
import { SYSTEM_ENV_FILE, systemEnvFilePath } from '../config/env-file';
import { configError, usageError } from '../errors';
import { firstLine, systemdCalendarCheck, type ToolRun } from '../system/host-tools';
import { applyFile, planFile, planLink, type PlannedFile } from '../install/managed-files';
import { log, result } from '../output';
import { ensureAccounts, plannedAccounts, skippedAccounts, warnUnreachable, type Accounts } from '../install/service-accounts';
import { ensureStateDirectory } from '../install/state-directory';
import { packageBin } from '../install/templates';
import { IN_SEA } from '../sea/sea';
import { enableUnits, manualCommands, reloadNginx } from '../install/activate';
import { renderAll, type UnitSettings } from '../install/plan';
import { NGINX_FILE } from '../system/unit-names';
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
  checkHookCommand,
} from '../install/values';

/** Typed from the command's declaration (INSTALL_UNITS in src/cli/commands.ts). */
export type InstallUnitsOptions = OptionsFor<typeof INSTALL_UNITS>;

export const DEFAULT_CALENDAR = '*-*-* 17:00:00';

/** A refused value is a usage error that names the option it came from. */
function need<T>(option: string, checked: Checked<T>): T {
  if (!checked.ok) throw usageError(`${option} ${checked.reason}`);
  return checked.value;
}

export default async function installUnits(opts: InstallUnitsOptions): Promise<void> {
  const config = loadConfig(opts, { HH_CLIENT_SECRET_FILE: opts.clientSecretFile, HH_TOKEN_STORE_PASSWORD_FILE: opts.dbPasswordFile });
  const settings = await validate(opts, config);
  const { files: rendered, warnings } = renderAll(settings);
  warnings.forEach((w) => log.warn(w));

  const root = opts.root ? need('--root', checkAbsolutePath(resolve(opts.root))) : '/';
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

  if (opts.dryRun) return dryRun(planned, await plannedAccounts(settings, Boolean(opts.root)));

  if (conflicts.length && !opts.force) {
    throw configError(
      `${conflicts.map((f) => f.path).join(', ')} ${conflicts.length > 1 ? 'were' : 'was'} changed by hand or not written by hh-oauth; nothing was written`,
      'compare with `hh-oauth install-units --dry-run …`, then rerun with --force (the old file is kept as .bak)',
    );
  }

  const accounts = opts.root ? skippedAccounts(settings) : await ensureAccounts(settings);
  if (!opts.root) warnUnreachable(settings);
  for (const file of planned) {
    await applyFile(file);
    if (file.conflict) log.warn(`replaced ${file.path}${file.previous && 'content' in file.previous ? `; the old one is ${file.backup}` : ''}`);
  }

  const steps: ToolRun[] = [];
  if (!opts.enable || opts.root) {
    log.info(`not enabling anything (${opts.root ? '--root' : '--no-enable'}); to do it by hand: ${manualCommands(planned, settings).join(' && ')}`);
  } else {
    try {
      // Before the timers start: a root login made before the service's first run writes into it as the service would.
      await ensureStateDirectory(settings.user, settings.tokenGroup);
      await enableUnits(planned, settings, steps, systemdDir);
      await reloadNginx(planned, opts.nginxConf, steps);
    } catch (err) {
      // The answer below, which lists the files, is not printed then: say here what stays written (nginx's files were put back).
      const kept = planned.filter((f) => f.action !== 'unchanged' && basename(f.path) !== NGINX_FILE);
      if (kept.length) log.info(`written before the failure: ${kept.map((f) => `${f.action} ${f.path}`).join(', ')}`);
      throw err;
    }
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

  const node = await nodeFor(opts);
  const bin = packageBin();
  const binOk = checkAbsolutePath(bin);
  if (!binOk.ok) {
    throw configError(`hh-oauth is installed at a path that cannot go into a unit file: it ${binOk.reason}`, 'install it under a plain path, e.g. the .deb (/usr/bin/hh-oauth), or the binary in /usr/local/bin');
  }

  const settings: UnitSettings = {
    node,
    bin,
    user: need('--user', checkAccountName(opts.user)),
    tokenGroup: opts.tokenGroup === undefined ? undefined : need('--token-group', checkAccountName(opts.tokenGroup)),
    systemEnvFile: systemEnvFileFor(),
    environmentFile: opts.envFile === undefined ? undefined : need('--env-file', checkAbsolutePath(resolve(opts.envFile))),
    secretFile: secretFile(config),
    dbPasswordFile: dbPasswordFile(config),
    onRefresh: onRefreshHook(config),
    onCalendar,
    allProfiles: opts.allProfiles,
    perProfile: opts.perProfile,
    expiry: need('--expiry-check', checkInterval(opts.expiryCheck)),
    metricsDir: opts.metricsDir === undefined ? undefined : need('--metrics-dir', checkAbsolutePath(opts.metricsDir)),
  };
  const secretOrigin = config.get('HH_CLIENT_SECRET')?.origin;
  const secretHolder = secretOrigin === 'env-file' ? settings.environmentFile : secretOrigin === 'system-file' ? settings.systemEnvFile?.path : undefined;
  if (secretHolder) {
    log.warn(`${secretHolder} holds HH_CLIENT_SECRET; the unit removes it from the service's environment (UnsetEnvironment=). Keep the secret in a root-only file and pass --client-secret-file instead`);
  }
  if (opts.nginx) settings.nginx = nginxSettings(opts, config);
  if (opts.nginxConf !== undefined) need('--nginx-conf', checkAbsolutePath(opts.nginxConf));
  return settings;
}

/**
 * The node the units run bin/hh-oauth with; none for the standalone binary, which carries
 * its own and is what ExecStart= runs (packageBin() is then the binary itself).
 */
async function nodeFor(opts: InstallUnitsOptions): Promise<string | undefined> {
  if (IN_SEA) {
    if (opts.node !== undefined) throw usageError('--node does not apply to the standalone binary: it carries its own Node, and the units run it directly');
    return undefined;
  }
  const node = need('--node', checkAbsolutePath(opts.node ?? process.execPath));
  if (!opts.root) {
    try {
      await access(node, constants.X_OK);
    } catch {
      throw usageError(`--node ${node} is not an executable file`);
    }
  }
  return node;
}

/** The system settings file the unit hands to the service: where this process reads it (HH_SYSTEM_ENV_FILE may move it). */
function systemEnvFileFor(): UnitSettings['systemEnvFile'] {
  const path = systemEnvFilePath();
  if (path === undefined) return undefined;
  const checked = checkAbsolutePath(path);
  if (!checked.ok) throw configError(`HH_SYSTEM_ENV_FILE ${checked.reason}`, 'point HH_SYSTEM_ENV_FILE at a plain absolute path, or unset it');
  return { path: checked.value, moved: path !== SYSTEM_ENV_FILE };
}

/** `--on-refresh` (a global option) goes into the unit; from an env file the service gets it anyway. */
function onRefreshHook(config: Config): string | undefined {
  const hook = config.get('HH_ON_REFRESH');
  return hook?.origin === 'flag' ? need('--on-refresh', checkHookCommand(hook.value)) : undefined;
}

/** The PostgreSQL store's password file, as the client secret's: read by systemd as root, handed over as a credential. */
function dbPasswordFile(config: Config): string | undefined {
  const setting = config.get('HH_TOKEN_STORE_PASSWORD_FILE');
  if (!setting) return undefined;
  const checked = checkAbsolutePath(resolve(setting.value));
  if (checked.ok) return checked.value;
  if (setting.origin === 'flag') throw usageError(`--db-password-file ${checked.reason}`);
  throw configError(`HH_TOKEN_STORE_PASSWORD_FILE ${checked.reason}`);
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
