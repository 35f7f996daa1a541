import { spawn } from 'node:child_process';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { processStartTime } from '../../src/lock/process';
import { deadProcess, jsonOut, loginExpired, runCli, sleep, tokenPosts, useHarness, type RunResult } from '../helpers';

/**
 * Many processes on one expired token: exactly one refresh grant may reach hh.ru,
 * nobody may fail, and a reader of the file never sees it half-written. And a lock
 * whose owner was killed is taken over within seconds, with a log line.
 */
// Long enough that the new pair outlives the whole storm even on a loaded machine (a second,
// legitimate refresh would break the exactly-once count); tests that only need the lock use --force.
const EXPIRES_IN = 15;
const h = useHarness({ expiresIn: EXPIRES_IN });

/** A lock file as hh-oauth writes it, for an owner chosen by the test. */
const lockContent = (pid: number, start: string | undefined) => JSON.stringify({ pid, start, host: hostname() });

/**
 * A reader the way a bot reads the token (`jq -r .access_token token.json`): in its own
 * process, as fast as it can until told to stop. Prints only counts, never a value.
 */
const READER = `
const fs = require('node:fs');
const [file, stop] = process.argv.slice(1);
let reads = 0, bad = 0, missing = 0;
const seen = new Set();
const pause = new Int32Array(new SharedArrayBuffer(4));
while (!fs.existsSync(stop)) {
  Atomics.wait(pause, 0, 0, 1); // 1 ms: a thousand reads a second, without starving the CLI runs
  let text;
  try { text = fs.readFileSync(file, 'utf8'); } catch { missing++; continue; }
  reads++;
  try {
    const doc = JSON.parse(text);
    if (typeof doc.access_token !== 'string' || typeof doc.refresh_token !== 'string' || typeof doc.expires_at !== 'string') bad++;
    else seen.add(doc.expires_at);
  } catch { bad++; }
}
process.stdout.write(JSON.stringify({ reads, bad, missing, versions: seen.size }));
`;

function startReader(file: string, stop: string): Promise<{ reads: number; bad: number; missing: number; versions: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', READER, file, stop], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.on('error', reject);
    child.on('close', () => resolve(JSON.parse(out)));
  });
}

describe('50 simultaneous processes on an expired token', () => {
  it('spend the refresh token exactly once; every refresh, whoami and token exits 0; every read sees a complete file', async () => {
    await loginExpired(h);
    const before = h.sandbox.stats().refreshed;
    const posts = tokenPosts(h);
    const oldFile = readFileSync(h.tokenFile, 'utf8');

    // A barrier: the test holds the lock (as a live owner) while all 50 start, so that
    // they all meet the expired token and reach the lock before anyone may refresh.
    const lock = `${h.tokenFile}.lock`;
    writeFileSync(lock, lockContent(process.pid, processStartTime(process.pid)), { mode: 0o600 });
    const stop = join(h.dir, 'stop-readers');
    const readers = Array.from({ length: 10 }, () => startReader(h.tokenFile, stop));
    const cli: Promise<RunResult>[] = [];
    // Generous per-process time limit: 50 processes on a small machine take a while to start.
    const commands = ['refresh', 'whoami', 'token'] as const;
    const kinds = Array.from({ length: 40 }, (_, i) => commands[i % 3]!);
    // `token` prints the access token on stdout by design: kept out of the leak scan.
    for (const kind of kinds) cli.push(runCli([kind, '--json'], { env: h.env(), timeoutMs: 100_000, secretStdout: kind === 'token' }));
    // Let them all load and block on the lock; then open the gate.
    await sleep(3000);
    unlinkSync(lock);
    const gate = performance.now();
    const runs = await Promise.all(cli);
    const storm = performance.now() - gate;
    writeFileSync(stop, '');
    const reads = await Promise.all(readers);

    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    expect(h.sandbox.stats().refreshed - before).toBe(1);
    expect(tokenPosts(h) - posts).toBe(1);
    const refreshed = runs.filter((r) => r.stderr.includes('refreshed: the new access token expires'));
    expect(refreshed).toHaveLength(1);
    const of = (kind: (typeof commands)[number]) => runs.filter((_, i) => kinds[i] === kind);
    expect(of('refresh').filter((r) => jsonOut(r).status === 'refreshed').length).toBeLessThanOrEqual(1);
    for (const r of of('whoami')) expect(jsonOut(r).email).toBe('ivan.petrov@example.com');
    // Every `token` reader got the new access token, whole.
    const final = JSON.parse(readFileSync(h.tokenFile, 'utf8'));
    for (const r of of('token')) expect(jsonOut(r).access_token === final.access_token).toBe(true);

    const total = reads.reduce((a, r) => ({ reads: a.reads + r.reads, bad: a.bad + r.bad, missing: a.missing + r.missing }), { reads: 0, bad: 0, missing: 0 });
    console.log(`concurrency: 40 CLI runs (refresh, whoami, token) + 10 file readers, 1 refresh grant, ${total.reads} reads, ${total.bad} incomplete, ${total.missing} missing; all done ${storm.toFixed(0)} ms after the gate opened`);
    expect(total.reads).toBeGreaterThan(100);
    expect(total.bad).toBe(0);
    expect(total.missing).toBe(0);
    // The readers saw the old file and the new one, never anything in between.
    expect(reads.some((r) => r.versions === 2)).toBe(true);
    expect(readFileSync(h.tokenFile, 'utf8')).not.toBe(oldFile);
  }, 120_000);
});

describe('a lock left behind', () => {
  it('by a process killed while it held the lock is recovered within seconds, with a log line', async () => {
    await loginExpired(h);
    const lock = `${h.tokenFile}.lock`;
    // hh.ru never answers: the refresh sits inside the lock until we kill it.
    h.sandbox.fault({ kind: 'hang', path: '/token' });
    const posts = tokenPosts(h);
    const victim = h.run(['refresh'], { env: { HH_HTTP_TIMEOUT: '60' } });
    for (let i = 0; i < 400 && tokenPosts(h) === posts; i++) await sleep(25);
    const held = JSON.parse(readFileSync(lock, 'utf8'));
    process.kill(held.pid, 'SIGKILL');
    expect((await victim).signal).toBe('SIGKILL');
    h.sandbox.fault(null);
    expect(existsSync(lock)).toBe(true);

    const started = performance.now();
    // HH_LOCK_TIMEOUT=5: a lock that is not recovered fails this run with exit 7.
    const out = await h.run(['refresh', '--json'], { env: { HH_LOCK_TIMEOUT: '5' } });
    const took = performance.now() - started;
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).status).toBe('refreshed');
    expect(out.stderr).toMatch(new RegExp(`recovered a stale lock \\S+token\\.json\\.lock \\(pid ${held.pid} is no longer running\\)`));
    expect(existsSync(lock)).toBe(false);
    console.log(`concurrency: stale lock of killed pid ${held.pid} recovered by a run that took ${took.toFixed(0)} ms`);
  });

  // --force takes the lock although the token is valid (hh.ru then answers "not expired"): no wait for expiry.
  it('whose pid now belongs to another process (start time differs) is recovered too', async () => {
    await h.login();
    const lock = `${h.tokenFile}.lock`;
    writeFileSync(lock, lockContent(process.pid, 'not-my-start-time'), { mode: 0o600 });
    const out = await h.run(['refresh', '--force', '--json'], { env: { HH_LOCK_TIMEOUT: '5' } });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toContain(`pid ${process.pid} is no longer running`);
  });

  it('with a breaker left by a process killed while breaking it, is still recovered within seconds', async () => {
    await h.login();
    const lock = `${h.tokenFile}.lock`;
    const dead = await deadProcess();
    writeFileSync(lock, lockContent(dead.pid, dead.start), { mode: 0o600 });
    writeFileSync(`${lock}.break`, lockContent(dead.pid, dead.start), { mode: 0o600 });
    const out = await h.run(['refresh', '--force', '--json'], { env: { HH_LOCK_TIMEOUT: '5' } });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toContain('recovered a stale lock');
    expect(existsSync(`${lock}.break`)).toBe(false);
  });

  it('held by a live process makes the next run wait, then fail with exit 7 naming the holder; nothing is spent', async () => {
    await h.login();
    const lock = `${h.tokenFile}.lock`;
    const before = readFileSync(h.tokenFile);
    const posts = tokenPosts(h);
    writeFileSync(lock, lockContent(process.pid, processStartTime(process.pid)), { mode: 0o600 });
    const out = await h.run(['refresh', '--force', '--json'], { env: { HH_LOCK_TIMEOUT: '1' } });
    unlinkSync(lock);
    expect(out.code).toBe(7);
    const { error } = jsonOut(out);
    expect(error.message).toMatch(new RegExp(`timed out after 1 s waiting for the lock .* \\(held by pid ${process.pid} on `));
    expect(error.suggestion).toMatch(/retry later, or raise HH_LOCK_TIMEOUT/);
    expect(readFileSync(h.tokenFile)).toEqual(before);
    expect(tokenPosts(h)).toBe(posts);
  });
});
