import { spawn } from 'node:child_process';
import { captured, type RunResult } from './cli';
import { BIN } from './files';

/** Quotes a word for a POSIX shell: inside single quotes, each ' written as '\''. */
export const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the built CLI with stdin, stdout and stderr on a real pseudo-terminal, through
 * util-linux `script`. `input` is typed into the terminal. Output comes back merged
 * (a terminal has one screen), with CRLF turned into LF.
 */
export function runInTty(
  args: string[],
  env: Record<string, string | undefined>,
  opts: { input?: string; secretOutput?: boolean; typeWhen?: RegExp; beforeTyping?: () => Promise<unknown> } = {},
): Promise<RunResult> {
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    captured.push(`argv: ${args.join(' ')}`);
    let out = '';
    let typed = false;
    const type = () => {
      if (typed) return;
      typed = true;
      void Promise.resolve(opts.beforeTyping?.()).then(() => child.stdin.end(opts.input ?? ''));
    };
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      if (opts.typeWhen?.test(out)) type();
    });
    child.stderr.on('data', (d: Buffer) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const text = out.replace(/\r\n/g, '\n');
      captured.push(opts.secretOutput ? '' : text);
      resolve({ code, signal, stdout: text, stderr: '', pid: child.pid ?? -1 });
    });
    child.stdin.on('error', () => undefined);
    // Typed after the CLI is up, as a person would; `script` forwards it to the terminal.
    if (!opts.typeWhen) setTimeout(type, opts.input ? 700 : 0);
  });
}
