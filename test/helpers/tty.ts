import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BIN, captured, runCli, type RunResult } from './cli';
import { REDIRECT_URI, type Harness } from './workspace';

/** Helpers for the operator-command tests (status, token, revoke, app-token, hook). */

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the built CLI with stdin, stdout and stderr on a real pseudo-terminal, through
 * util-linux `script`. `input` is typed into the terminal. Output comes back merged
 * (a terminal has one screen), with CRLF turned into LF.
 */
export function runInTty(args: string[], env: Record<string, string | undefined>, opts: { input?: string; secretOutput?: boolean } = {}): Promise<RunResult> {
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    captured.push(`argv: ${args.join(' ')}`);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
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
    setTimeout(() => child.stdin.end(opts.input ?? ''), opts.input ? 700 : 0);
  });
}

/** A stored token in one CLI run: the browser step by fetch, then `exchange -` with the bare code on stdin. */
export async function quickLogin(h: Harness, env: Record<string, string | undefined> = {}, args: string[] = []): Promise<RunResult> {
  const url = new URL(h.sandbox.env.HH_AUTHORIZE_URL);
  url.search = new URLSearchParams({ response_type: 'code', client_id: h.clientId, redirect_uri: REDIRECT_URI }).toString();
  const response = await fetch(url, { redirect: 'manual', headers: { 'User-Agent': 'browser/1.0' } });
  const code = new URL(response.headers.get('location') ?? 'http://x/').searchParams.get('code');
  if (!code) throw new Error(`no code from the sandbox: HTTP ${response.status}`);
  const out = await h.run(['exchange', '-', ...args], { input: code, env });
  if (out.code !== 0) throw new Error(`exchange failed: ${out.stderr}`);
  return out;
}

/** `hh-oauth ARGS` whose stdout is a token on purpose: kept out of the leak scan, stderr still scanned. */
export function runSecret(h: Harness, args: string[], env: Record<string, string | undefined> = {}): Promise<RunResult> {
  return runCli(args, { env: h.env(env), secretStdout: true });
}

export function readJson(path: string): any {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** This test's workspace, created now (the harness makes it lazily, so h.tokenFile/h.dir need this first). */
export function workspace(h: Harness): { dir: string; tokenFile: string } {
  h.env();
  return { dir: h.dir, tokenFile: h.tokenFile };
}

/** Writes a token file by hand (tests of states no grant produces: corrupt, legacy, far future). */
export function writeTokenFile(h: Harness, content: string | Record<string, unknown>, mode = 0o600, path = workspace(h).tokenFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  chmodSync(path, mode);
}

export function fakePair(expiresAt: Date, obtainedAt = new Date(expiresAt.getTime() - 1209600_000)): Record<string, unknown> {
  return {
    access_token: 'FAKEACCESSTOKEN0123456789',
    token_type: 'bearer',
    expires_in: 1209600,
    refresh_token: 'FAKEREFRESHTOKEN0123456789',
    obtained_at: obtainedAt.toISOString(),
    expires_at: expiresAt.toISOString(),
  };
}
