import type { UNINSTALL_UNITS } from '../cli/commands';
import type { OptionsFor } from '../cli/spec';
import { join, resolve } from 'node:path';
import { usageError } from '../errors';
import { log, result } from '../output';
import { checkAbsolutePath, type Checked } from '../install/values';
import { disableUnits, reloadSystemd, removeUnitFiles, type Removal } from '../install/uninstall';
import { firstLine, type ToolRun } from '../system/host-tools';

/** Typed from the command's declaration (UNINSTALL_UNITS in src/cli/commands.ts). */
export type UninstallUnitsOptions = OptionsFor<typeof UNINSTALL_UNITS>;

function need<T>(option: string, checked: Checked<T>): T {
  if (!checked.ok) throw usageError(`${option} ${checked.reason}`);
  return checked.value;
}

/**
 * The reverse of install-units for systemd: nothing of hh-oauth starts any more. The token
 * file, its state directory, the service user and the nginx site are left alone (the site
 * only proxies to a port; the operator removes it when the bot's domain goes).
 */
export default async function uninstallUnits(opts: UninstallUnitsOptions): Promise<void> {
  const root = opts.root === undefined ? '/' : need('--root', checkAbsolutePath(resolve(opts.root)));
  const systemdDir = join(root, need('--systemd-dir', checkAbsolutePath(opts.systemdDir)));

  const steps: ToolRun[] = [];
  if (opts.root === undefined) await disableUnits(systemdDir, steps);
  else log.info('--root: running no systemctl');
  const files: Removal[] = opts.keepFiles ? [] : await removeUnitFiles(systemdDir, Boolean(opts.force));
  if (files.some((f) => f.action === 'removed') && opts.root === undefined) await reloadSystemd(steps);
  for (const f of files.filter((f) => f.action === 'kept')) log.warn(`kept ${f.path}: ${f.reason}`);
  log.info('the token file, its directory (/var/lib/hh-token), the service user and any nginx site are left in place');

  result(
    {
      files: files.map((f) => ({ path: f.path, action: f.action })),
      steps: steps.map((s) => ({ command: s.command, status: s.status, ...(s.status === 'ok' ? {} : { detail: firstLine(s) }) })),
    },
    files.length ? files.map((f) => `${f.action.padEnd(8)} ${f.path}`).join('\n') : undefined,
  );
}
