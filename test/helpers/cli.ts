import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Runs the built CLI as a separate process, the way operators, systemd and scripts do. */
export const BIN = fileURLToPath(new URL('../../bin/hh-oauth', import.meta.url));

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
  /** stdout carries a secret on purpose (`hh-oauth token`): keep it out of the leak scan. */
  secretStdout?: boolean;
}

/** Everything every CLI process printed, and every argv it got: the leak scanner reads this. */
export const captured: string[] = [];

export function runCli(args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: opts.env as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    captured.push(`argv: ${args.join(' ')}`);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
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
