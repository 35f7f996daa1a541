#!/usr/bin/env node
// The whole token lifecycle against the built-in hh.ru sandbox: no credentials, no network.
// Every step runs the real CLI as a separate process, exactly as an operator would. The token
// is an employer's, as hh.ru's tokens for third-party applications now are (applicants were
// closed to them on 15 December 2025): a manager with two manager accounts.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const bin = new URL('../bin/hh-oauth', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'hh-oauth-demo-'));
const EXPIRES_IN = 5;

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const step = (n, text) => console.log(`\n${bold(`${n}. ${text}`)}`);

function run(args, env, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      console.log(`   $ hh-oauth ${args.join(' ')}${input ? '   (input on stdin)' : ''}`);
      for (const line of (stdout + stderr).trim().split('\n')) if (line) console.log(`     ${line}`);
      if (code !== 0) reject(new Error(`hh-oauth ${args[0]} exited ${code}`));
      else resolve(stdout);
    });
    child.stdin.end(input ?? '');
  });
}

async function startSandbox() {
  const child = spawn(process.execPath, [bin, 'sandbox', '--port', '0', '--expires-in', String(EXPIRES_IN), '--json'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const first = await new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`sandbox exited ${code}`)));
    createInterface({ input: child.stdout }).once('line', resolve);
  });
  return { child, info: JSON.parse(first) };
}

const { child: sandbox, info } = await startSandbox();
try {
  console.log(bold('hh-oauth demo: the whole token lifecycle of an employer\'s token against the built-in hh.ru sandbox'));
  console.log(`sandbox at ${info.url}; token file in ${work}; access tokens live ${EXPIRES_IN} s here (14 days at hh.ru)`);
  const env = {
    PATH: process.env.PATH,
    ...info.env,
    HH_CLIENT_SECRET: 'sandbox-client-secret', // the sandbox's documented default, never passed in argv
    HH_USER_AGENT: 'hh-oauth-demo/1.0 (demo@example.com)',
    HH_TOKEN_FILE: join(work, 'state', 'token.json'),
    HH_CONFIG_DIR: join(work, 'config'),
  };

  step(1, 'Build the authorization URL (the operator opens it in a browser)');
  const url = (await run(['authorize-url'], env)).trim();

  step(2, 'The "browser" follows it; the sandbox approves and redirects to the callback');
  const response = await fetch(url, { redirect: 'manual', headers: { 'User-Agent': 'demo-browser/1.0' } });
  const callback = response.headers.get('location');
  if (!callback) throw new Error(`the sandbox did not redirect (HTTP ${response.status})`);
  console.log(`     redirected to ${callback.replace(/code=[^&]+/, 'code=<hidden>')}`);

  step(3, 'Exchange the code: paste the callback URL on stdin (never in argv)');
  await run(['exchange', '-'], env, callback + '\n');
  const file = JSON.parse(readFileSync(env.HH_TOKEN_FILE, 'utf8'));
  console.log(`     token file fields: ${Object.keys(file).join(', ')}`);

  step(4, 'Who is it? A manager at an employer');
  await run(['whoami'], env);

  step(5, 'The manager\'s working accounts (one per employer), and the second one chosen with --manager-account');
  const accounts = (await run(['whoami', '--manager-accounts'], env)).trim().split('\n');
  const second = accounts[1]?.split('\t')[0];
  if (!second) throw new Error('the sandbox listed fewer than two manager accounts');
  await run(['--manager-account', second, 'whoami'], env);

  step(6, 'A timer run before expiry does nothing (hh.ru would refuse)');
  await run(['refresh', '--json'], env);

  step(7, `Wait ${EXPIRES_IN + 1} s for the access token to expire, then refresh`);
  await new Promise((r) => setTimeout(r, (EXPIRES_IN + 1) * 1000));
  await run(['refresh', '--json'], env);

  step(8, 'The new token works');
  await run(['whoami', '--json'], env);

  console.log(`\n${bold('Done:')} authorize-url → exchange → whoami (both manager accounts) → refresh (not due) → refresh → whoami, all exit 0.`);
} finally {
  sandbox.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
