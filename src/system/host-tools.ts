import { spawn } from 'node:child_process';
import { errnoCode } from '../errors';
import { trustedProgram } from './file-trust';

/**
 * The settings that hold a secret (config.ts marks the same ones `secret: true`; a unit test
 * keeps the two lists equal). hh-oauth reads them; no program it starts needs them.
 */
export const SECRET_VARIABLES: readonly string[] = ['HH_CLIENT_SECRET'];

/**
 * The environment of every program hh-oauth starts (host tools, the browser, the rotation
 * hook): ours, without the secrets, with `extra` on top. The one place that decides it:
 * a child that inherits HH_CLIENT_SECRET hands it on to everything it starts in turn.
 */
export function childEnv(base: NodeJS.ProcessEnv = process.env, extra: Record<string, string> = {}, drop: readonly string[] = []): Record<string, string> {
  const dropped = new Set([...SECRET_VARIABLES, ...drop]);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) if (value !== undefined && !dropped.has(name)) env[name] = value;
  return { ...env, ...extra };
}

/**
 * The one way hh-oauth runs the host's own tools (systemctl, nginx, useradd, getent,
 * systemd-analyze): node:child_process, never through a shell, stdin closed, a time
 * limit, none of hh-oauth's HH_* settings in their environment (the client secret among
 * them), and LC_ALL=C because the callers read the tools' English messages (doctor tells
 * "No such file" from "not booted with systemd"). Not execa: `status` asks systemctl
 * too, and the commands that scripts and timers run must not load execa (check:dist).
 * A missing tool is an answer, not an exception: the callers say what to run by hand.
 * The tool PATH finds must be trusted (file-trust.ts; exit 3 otherwise, as root runs most
 * of them), and it runs by the path that was checked, with childEnv().
 */
export interface ToolRun {
  command: string;
  status: 'ok' | 'failed' | 'missing';
  exitCode?: number;
  stdout: string;
  stderr: string;
}

export interface ToolOptions {
  /** Stopped (SIGTERM, then SIGKILL) after this long; default 60 s. */
  timeoutMs?: number;
  /** Added to the environment, e.g. TZ=UTC for timestamps to parse. */
  env?: Record<string, string>;
}

/** No pager and no colour from systemd's tools, whatever the caller's environment says. */
const TOOL_ENV = { LC_ALL: 'C', SYSTEMD_PAGER: '', SYSTEMD_COLORS: '0' };
const KILL_GRACE_MS = 5000;
/** How long output is still read once the tool has ended (a process it left behind may hold its pipes). */
const OUTPUT_GRACE_MS = 1000;

/** Ours minus hh-oauth's own settings: the host's tools need none of them, and HH_CLIENT_SECRET is a secret. */
function toolEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = childEnv(process.env);
  for (const name of Object.keys(env)) if (name.startsWith('HH_')) delete env[name];
  return { ...env, ...extra, ...TOOL_ENV };
}
/** Per stream; more than any of these tools prints (nginx -T of a large site is a few MB). */
const OUTPUT_LIMIT = 16 * 1024 * 1024;

export async function runTool(file: string, args: string[], opts: ToolOptions = {}): Promise<ToolRun> {
  const command = [file, ...args].join(' ');
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const env = toolEnv(opts.env);
  const program = trustedProgram('the host tool', file, env.PATH);
  if (program === undefined) return { command, status: 'missing', stdout: '', stderr: `${file}: not found on PATH` };
  return new Promise((resolve) => {
    const child = spawn(program, args, { argv0: file, stdio: ['ignore', 'pipe', 'pipe'], env });
    const stdout = collect(child.stdout);
    const stderr = collect(child.stderr);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref();
    }, timeoutMs);
    child.on('error', (err) => {
      // Only a tool that never started ends here; one that ran ends in 'close'.
      if (child.pid !== undefined) return;
      clearTimeout(timer);
      const missing = errnoCode(err) === 'ENOENT';
      resolve({ command, status: missing ? 'missing' : 'failed', stdout: '', stderr: missing ? `${file}: not found on PATH` : err.message });
    });
    // 'close' waits for the pipes too: a process the tool started and left running (a
    // daemon) would hold them open, and runTool with them, past the tool's end and its limit.
    let drain: NodeJS.Timeout | undefined;
    child.on('exit', () => {
      drain = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, OUTPUT_GRACE_MS);
    });
    child.on('close', (code, signal) => {
      if (child.pid === undefined) return;
      clearTimeout(timer);
      clearTimeout(drain);
      if (timedOut || code === null) {
        const why = timedOut ? `did not finish within ${timeoutMs / 1000} s and was stopped` : `was killed by ${signal}`;
        resolve({ command, status: 'failed', stdout: stdout(), stderr: `${command} ${why}\n${stderr()}` });
        return;
      }
      resolve({ command, status: code === 0 ? 'ok' : 'failed', exitCode: code, stdout: stdout(), stderr: stderr() });
    });
  });
}

function collect(stream: NodeJS.ReadableStream): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    if (size >= OUTPUT_LIMIT) return;
    chunks.push(chunk);
    size += chunk.length;
  });
  return () => Buffer.concat(chunks).toString('utf8');
}

/**
 * What systemctl prints on stderr about the part that worked, before the part that failed:
 * `enable --now` makes its symlinks even where it then cannot start the unit.
 */
const PROGRESS = /^(Created symlink |Removed |Synchronizing state of |Executing: )/;

/** The first line of a tool's complaint that says what failed (not what it did first), for a one-line message. */
export function firstLine(run: ToolRun): string {
  const lines = `${run.stderr}\n${run.stdout}`.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const line = lines.find((l) => !PROGRESS.test(l)) ?? lines[0];
  return line ?? (run.exitCode === undefined ? 'failed' : `exit code ${run.exitCode}`);
}

/** `getent` knows NSS accounts too; without it, the files. */
export async function accountExists(db: 'passwd' | 'group', name: string, lookupFile: (db: 'passwd' | 'group', n: string) => number | undefined): Promise<boolean> {
  const r = await runTool('getent', [db, name]);
  if (r.status === 'missing') return lookupFile(db, name) !== undefined;
  return r.status === 'ok';
}

/** systemd's own parser for calendar specs; null when systemd-analyze is not installed. */
export async function systemdCalendarCheck(spec: string): Promise<{ ok: boolean; message: string } | null> {
  const r = await runTool('systemd-analyze', ['calendar', '--', spec], { timeoutMs: 15_000 });
  if (r.status === 'missing') return null;
  return { ok: r.status === 'ok', message: firstLine(r) };
}
