import { spawn, type ChildProcess } from 'node:child_process';
import { captured, type RunResult } from './cli';
import { BIN } from './files';

/**
 * The built CLI as a long-running process (e.g. `login` waiting for a redirect):
 * the test can wait for a line on stderr, signal it, and then collect the result.
 * Its output joins `captured`, so the harness's leak scan covers it too.
 */
export interface LiveCli {
  child: ChildProcess;
  /** Resolves with the first match of the pattern in stderr so far or to come. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  done: Promise<RunResult>;
}

/** `bin`: another copy of the package's bin/hh-oauth (a package upgraded in place under a running process). */
export function startCli(args: string[], env: Record<string, string | undefined>, timeoutMs = 30_000, bin = BIN): LiveCli {
  const child = spawn(process.execPath, [bin, ...args], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  captured.push(`argv: ${args.join(' ')}`);
  let stdout = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d;
    for (const check of watchers) check();
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<RunResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      captured.push(stdout, stderr);
      for (const check of watchers) check();
      resolve({ code, signal, stdout, stderr, pid: child.pid ?? -1 });
    });
  });

  const waitFor = (pattern: RegExp, waitMs = 10_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no ${pattern} on stderr within ${waitMs} ms; stderr so far:\n${stderr}`)), waitMs);
      const finish = (err?: Error, match?: RegExpMatchArray) => {
        clearTimeout(timer);
        watchers.delete(check);
        if (err) reject(err);
        else resolve(match!);
      };
      const check = () => {
        const match = stderr.match(pattern);
        if (match) finish(undefined, match);
        else if (child.exitCode !== null || child.signalCode !== null) {
          finish(new Error(`the CLI exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}; stderr:\n${stderr}`));
        }
      };
      watchers.add(check);
      check();
    });

  return { child, waitFor, done };
}
