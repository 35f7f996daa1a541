import { copyFile, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, HhOauthError } from '../errors';
import { log } from '../output';
import { firstLine, runTool, type ToolRun } from '../system/host-tools';
import { EXPIRY_TIMER, PROFILE_EXPIRY_TIMER, PROFILE_REFRESH_TIMER, PROFILE_SERVICE, REFRESH_TIMER, SERVICE } from '../system/unit-names';
import { inspectManaged } from './templates';

/** Every unit file install-units can write. */
export const UNIT_FILES = [SERVICE, REFRESH_TIMER, EXPIRY_TIMER, PROFILE_SERVICE, PROFILE_REFRESH_TIMER, PROFILE_EXPIRY_TIMER] as const;

export interface Removal {
  path: string;
  action: 'removed' | 'kept';
  reason?: string;
}

/** An enabled profile instance (hh-oauth-refresh@acme.timer) is a link in a .wants directory. */
async function enabledInstances(systemdDir: string): Promise<string[]> {
  const found = new Set<string>();
  const dirs = (await readdir(systemdDir).catch(() => [] as string[])).filter((d) => d.endsWith('.wants'));
  for (const dir of dirs) {
    for (const name of await readdir(join(systemdDir, dir)).catch(() => [] as string[])) {
      if (/^hh-oauth-(refresh|expiry)@[a-z0-9._-]+\.timer$/.test(name)) found.add(name);
    }
  }
  return [...found].sort();
}

async function exists(path: string): Promise<boolean> {
  return readFile(path).then(() => true, () => false);
}

async function step(steps: ToolRun[], args: string[]): Promise<boolean> {
  const run = await runTool('systemctl', args);
  steps.push(run);
  if (run.status === 'ok') log.info(`ran ${run.command}`);
  else if (run.status === 'missing') log.warn(`systemctl is not installed or not on PATH: nothing was stopped (${run.command})`);
  else log.warn(`${run.command} failed: ${firstLine(run)}`);
  return run.status !== 'missing';
}

/**
 * systemctl disable --now the timers (and each profile's), then stop whatever service run
 * is still going: a timer left enabled would start a binary that the package removes.
 */
export async function disableUnits(systemdDir: string, steps: ToolRun[]): Promise<void> {
  const timers: string[] = [];
  for (const name of [REFRESH_TIMER, EXPIRY_TIMER]) if (await exists(join(systemdDir, name))) timers.push(name);
  timers.push(...(await enabledInstances(systemdDir)));
  if (timers.length && !(await step(steps, ['disable', '--now', ...timers]))) return;
  // Globs match loaded units only, so this never fails on a unit that is not there.
  await step(steps, ['stop', 'hh-oauth-refresh.service', 'hh-oauth-refresh@*.service', 'hh-oauth-*.timer']);
}

/** After unit files are removed, so that systemd forgets them. */
export async function reloadSystemd(steps: ToolRun[]): Promise<void> {
  await step(steps, ['daemon-reload']);
}

/** Removes the unit files install-units wrote and nobody edited since; an edited one only with --force (kept as .bak). */
export async function removeUnitFiles(systemdDir: string, force: boolean): Promise<Removal[]> {
  const out: Removal[] = [];
  for (const name of UNIT_FILES) {
    const path = join(systemdDir, name);
    let content: string;
    try {
      content = await readFile(path, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue;
      throw new HhOauthError('config', `cannot read ${path} (${errnoCode(err) ?? 'error'})`, { suggestion: 'run it as root', cause: err });
    }
    const state = inspectManaged(content);
    if (state === 'foreign') {
      out.push({ path, action: 'kept', reason: 'not written by hh-oauth install-units' });
      continue;
    }
    if (state === 'modified' && !force) {
      out.push({ path, action: 'kept', reason: 'changed by hand since install-units wrote it; rerun with --force to remove it (a .bak is kept)' });
      continue;
    }
    try {
      if (state === 'modified') await copyFile(path, `${path}.bak`);
      await unlink(path);
    } catch (err) {
      throw new HhOauthError('config', `cannot remove ${path} (${errnoCode(err) ?? 'error'})`, { suggestion: 'run it as root (sudo hh-oauth uninstall-units)', cause: err });
    }
    out.push({ path, action: 'removed' });
  }
  return out;
}
