import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { watchArgv } from './argv-watch';
import { BIN, TEST_BINARY } from './files';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
}

export interface RunOptions {
  env: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
  /** Called right after the spawn, e.g. to kill the process at a chosen moment. */
  onSpawn?: (child: ChildProcess) => void;
  /** A command that runs node for us, e.g. setpriv to run as another user. */
  wrap?: string[];
  /** Start this standalone binary (build/hh-oauth) instead of node and bin/hh-oauth. */
  binary?: string;
  /** Start bin/hh-oauth through its #! line (needs node on the child's PATH). */
  viaShebang?: boolean;
  /** stdout carries a secret on purpose (`hh-oauth token`): keep it out of the leak scan. */
  secretStdout?: boolean;
}

/** Everything every CLI process printed, every argv it got, and the argv of anything it spawned: the leak scanner reads this. */
export const captured: string[] = [];

/** Runs the built CLI as a separate process, the way operators, systemd and scripts do. */
export function runCli(args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // node -- BIN: what BIN's #! line runs, without depending on PATH (some tests empty it);
    // viaShebang starts BIN itself, to test that line. E2E_BINARY: the standalone binary.
    const start = opts.binary ? [opts.binary] : TEST_BINARY ? [TEST_BINARY] : opts.viaShebang ? [BIN] : [process.execPath, '--', BIN];
    const [command, ...prefix] = [...(opts.wrap ?? []), ...start];
    const child = spawn(command!, [...prefix, ...args], {
      env: opts.env as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    captured.push(`argv: ${args.join(' ')}`);
    const stopWatching = child.pid === undefined ? () => undefined : watchArgv(child.pid, captured);
    opts.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    // Once reaped, the pid may be reused by an unrelated process: stop sampling it at once.
    child.on('exit', () => stopWatching());
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      captured.push(opts.secretStdout ? '' : stdout, stderr);
      resolve({ code, signal, stdout, stderr, pid: child.pid ?? -1 });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Parses the single JSON document a --json run must print. */
export function jsonOut(result: RunResult): any {
  const text = result.stdout.trim();
  if (text.includes('\n')) throw new Error(`stdout holds more than one line: ${text}`);
  return JSON.parse(text);
}

/** A --json list of named rows (doctor's checks, refresh --all's profiles, `profiles`), keyed by name. */
export function byName<T extends { name: string }>(rows: T[]): Record<string, T> {
  return Object.fromEntries(rows.map((row) => [row.name, row]));
}

/**
 * An environment with none of the hh.ru settings, for runs that need none (install-units,
 * --help): PATH (with the sbin directories a non-root PATH may lack), HOME and the
 * saved-settings directory in `home`.
 */
export function bareEnv(home: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { PATH: `${process.env.PATH}:/usr/sbin:/sbin`, HOME: home, HH_CONFIG_DIR: join(home, 'config'), ...extra };
}
