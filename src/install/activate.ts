import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { HhOauthError } from '../errors';
import { firstLine, runTool, type ToolRun } from '../system/host-tools';
import { restoreFile, type PlannedFile } from './managed-files';
import { log } from '../output';
import type { UnitSettings } from './plan';
import { EXPIRY_TIMER, NGINX_FILE, REFRESH_TIMER } from '../system/unit-names';

/**
 * After the files are written: systemctl daemon-reload / enable --now, nginx -t and
 * reload. A missing tool is reported with the commands to run by hand; only a config
 * that nginx -t refuses fails the run, after the previous one is put back.
 */
function timers(planned: PlannedFile[], s: UnitSettings): string[] {
  return [REFRESH_TIMER, ...(s.expiry === 'off' ? [] : [EXPIRY_TIMER])].filter((name) => planned.some((f) => basename(f.path) === name));
}

export function manualCommands(planned: PlannedFile[], s: UnitSettings): string[] {
  const commands = ['systemctl daemon-reload', `systemctl enable --now ${timers(planned, s).join(' ')}`];
  if (s.nginx) commands.push('nginx -t', 'systemctl reload nginx');
  return commands;
}

export async function enableUnits(planned: PlannedFile[], s: UnitSettings, steps: ToolRun[], systemdDir: string): Promise<void> {
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
    else log.warn(`${run.command} failed: ${cause(run)}; run it yourself once the problem is fixed`);
  }
}

function missing(tool: string, commands: string[]): void {
  log.warn(`${tool} is not installed or not on PATH; run these yourself: ${commands.join(' && ')}`);
}

/** nginx -t before reloading; a refused config is rolled back so the running nginx keeps working. */
export async function reloadNginx(planned: PlannedFile[], mainConf: string | undefined, steps: ToolRun[]): Promise<void> {
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
  else log.warn(`systemctl reload nginx failed: ${cause(reload)}; reload nginx yourself`);
}

/** The tool's line that says what failed, inside one of our sentences (its own full stop dropped). */
const cause = (run: ToolRun) => firstLine(run).replace(/\.$/, '');
