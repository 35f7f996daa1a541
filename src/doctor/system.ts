import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { errnoCode } from '../errors';
import { runTool, type ToolRun } from '../system/host-tools';
import { NGINX_ENABLED_FILE, TIMERS } from '../system/unit-names';
import { fail, pass, skip, type CheckResult } from './check';

/** Checks of the host around the tool: the systemd timers and the nginx callback proxy. */

const run = (file: string, args: string[]) => runTool(file, args, { timeoutMs: 20_000 });

export interface TimerState {
  unit: string;
  /** `systemctl is-enabled` output, or `not-found`, or the error systemctl printed. */
  enabled: string;
  /** `systemctl is-active` output; undefined when not asked (not enabled). */
  active?: string;
}

/** systemctl's answer for one unit: its stdout word, else what it said on stderr. */
export function stateWord(ran: ToolRun): string {
  const word = ran.stdout.trim().split('\n')[0] ?? '';
  if (word) return word;
  if (/No such file|not found|does not exist/i.test(ran.stderr)) return 'not-found';
  if (/not been booted with systemd|Failed to connect to bus|Host is down/i.test(ran.stderr)) return 'no-systemd';
  return ran.stderr.trim().split('\n')[0] || `exit ${ran.exitCode ?? 'unknown'}`;
}

/** Pure verdict over the states of both timers. */
export function timersVerdict(states: TimerState[]): CheckResult {
  const notInstalled = states.filter((s) => s.enabled === 'not-found').map((s) => s.unit);
  const disabled = states.filter((s) => s.enabled !== 'enabled' && s.enabled !== 'not-found');
  const inactive = states.filter((s) => s.enabled === 'enabled' && s.active !== 'active');
  const problems: string[] = [];
  const fixes: string[] = [];
  if (notInstalled.length) {
    problems.push(`${notInstalled.join(' and ')} ${notInstalled.length > 1 ? 'are' : 'is'} not installed`);
    fixes.push('sudo hh-oauth install-units');
  }
  if (disabled.length) problems.push(disabled.map((s) => `${s.unit} is ${s.enabled}`).join(', '));
  if (inactive.some((s) => s.active === 'no-systemd')) {
    problems.push('systemd is not running on this machine (PID 1 is something else, a container?), so no timer ever fires');
    fixes.push('schedule `hh-oauth refresh` another way (every 10 minutes), or pass --skip-systemd when the timers run on another host');
  } else if (inactive.length) {
    problems.push(inactive.map((s) => `${s.unit} is enabled but ${s.active ?? 'not active'}`).join(', '));
  }
  if (disabled.length || (inactive.length && !inactive.some((s) => s.active === 'no-systemd'))) {
    fixes.push(`sudo systemctl enable --now ${TIMERS.join(' ')}`);
  }
  if (problems.length) return fail('timers', 'config', problems.join('; '), fixes.join('; '));
  return pass('timers', `${states.map((s) => s.unit).join(' and ')}: enabled and active`);
}

export async function checkTimers(skipRequested: boolean): Promise<CheckResult> {
  if (skipRequested) return skip('timers', 'skipped (--skip-systemd)');
  const states: TimerState[] = [];
  for (const unit of TIMERS) {
    const enabled = await run('systemctl', ['is-enabled', unit]);
    if (enabled.status === 'missing') {
      return fail(
        'timers',
        'config',
        'systemctl is not installed, so the timers cannot be checked (is this a systemd host?)',
        'install the units on a systemd host (`sudo hh-oauth install-units`), or pass --skip-systemd when `hh-oauth refresh` is scheduled another way',
      );
    }
    const state: TimerState = { unit, enabled: stateWord(enabled) };
    if (state.enabled === 'enabled') state.active = stateWord(await run('systemctl', ['is-active', unit]));
    states.push(state);
  }
  return timersVerdict(states);
}

/** A whole nginx.conf (has its own http/events blocks) rather than a server block meant for sites-enabled. */
export function isMainConfig(text: string): boolean {
  return /^\s*(events|http)\s*\{/m.test(text);
}

/** True when `nginx -T`'s dump shows that nginx actually loads this file. */
export function dumpIncludes(dump: string, path: string): boolean {
  return dump.split('\n').includes(`# configuration file ${path}:`);
}

/** The last [emerg]/[crit] line of nginx's complaint: the one naming the file and line. */
export function nginxComplaint(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.replace(/^nginx: /, '').replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d (\[\w+\]) \d+#\d+: /, '$1 ').trim())
    .filter(Boolean);
  return lines.filter((l) => /\[(emerg|crit|alert)\]/.test(l)).at(-1) ?? lines.at(-1) ?? 'no message';
}

export async function checkNginx(opts: { skip?: boolean; conf?: string }): Promise<CheckResult> {
  if (opts.skip) return skip('nginx', 'skipped (--skip-nginx)');
  const path = resolve(opts.conf ?? NGINX_ENABLED_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    return fail(
      'nginx',
      'config',
      code === 'ENOENT' ? `${path} does not exist` : `cannot read ${path} (${code ?? 'error'})`,
      code === 'ENOENT'
        ? 'sudo hh-oauth install-units (writes and enables it); or --nginx-conf PATH if it lives elsewhere, --skip-nginx if another proxy forwards the callback'
        : 'run doctor as root (sudo)',
    );
  }

  const standalone = opts.conf !== undefined && !isMainConfig(text);
  const scratch = standalone ? await mkdtemp(join(tmpdir(), 'hh-oauth-nginx-')) : undefined;
  try {
    const args = scratch ? ['-t', '-c', await writeWrapper(scratch, path)] : opts.conf !== undefined ? ['-t', '-c', path] : ['-T'];
    const ran = await run('nginx', args);
    if (ran.status === 'missing') return fail('nginx', 'config', 'nginx is not installed', 'sudo apt-get install nginx-light; or --skip-nginx if another proxy forwards the callback');
    if (ran.status !== 'ok') {
      const denied = /Permission denied/.test(ran.stderr);
      return fail('nginx', 'config', `nginx -t fails: ${nginxComplaint(ran.stderr)}`, denied ? 'run doctor as root (sudo): nginx -t opens root-only files' : `fix ${path} at the line named, then \`sudo nginx -t && sudo systemctl reload nginx\``);
    }
    if (!opts.conf && !dumpIncludes(ran.stdout, path)) {
      return fail('nginx', 'config', `nginx -t passes, but nginx does not load ${path}`, 'make sure /etc/nginx/nginx.conf has `include /etc/nginx/sites-enabled/*;` in its http block, then `sudo systemctl reload nginx`');
    }
    return pass('nginx', `${path}: nginx -t passes${scratch ? ' (tested on its own, inside a minimal nginx.conf)' : ''}`);
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * A server-block file is only valid inside http { }: test it there, with the
 * distribution's snippets (proxy_params, mime.types) reachable by their relative
 * names, and scratch paths so that no root-only file is needed.
 */
async function writeWrapper(dir: string, include: string): Promise<string> {
  const names = await readdir('/etc/nginx').catch(() => [] as string[]);
  for (const name of names) {
    if (name !== 'nginx.conf') await symlink(join('/etc/nginx', name), join(dir, name)).catch(() => undefined);
  }
  const q = (p: string) => `"${p.replace(/["\\]/g, '\\$&')}"`;
  const temp = (kind: string) => `  ${kind}_temp_path ${q(join(dir, kind))};`;
  const conf = [
    `pid ${q(join(dir, 'nginx.pid'))};`,
    `error_log ${q(join(dir, 'error.log'))};`,
    'events {}',
    'http {',
    temp('client_body'),
    temp('proxy'),
    temp('fastcgi'),
    temp('uwsgi'),
    temp('scgi'),
    `  access_log ${q(join(dir, 'access.log'))};`,
    `  include ${q(include)};`,
    '}',
    '',
  ].join('\n');
  const file = join(dir, 'nginx.conf');
  await writeFile(file, conf);
  return file;
}
