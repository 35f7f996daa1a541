import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { BURST } from '../../src/hh/pace';
import { BIN, jsonOut, runCli, storeGrant, useHarness, USER_AGENT, waitForExpiry } from '../helpers';

/**
 * HH_RATE_LIMIT / `refresh --all --rate`: one pace for everything the process sends,
 * through the built CLI, against the sandbox and its per-IP limit (`--rate-limit`).
 */
const EXPIRES_IN = 1;
// When the sandbox finished each answer of the token endpoint: the pace as hh.ru sees it.
const tokenAnswers: number[] = [];
const h = useHarness({ expiresIn: EXPIRES_IN, log: (line) => void (line.startsWith('POST /token ') && tokenAnswers.push(performance.now())) });

/** `n` due profiles from real grants, minted 16 at a time (the sandbox is not limited yet). */
async function dueProfiles(n: number, prefix: string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < n) {
        const i = next++;
        await storeGrant(h, join(h.dir, 'state', 'profiles', `${prefix}${String(i).padStart(4, '0')}.json`));
      }
    }),
  );
  await waitForExpiry(EXPIRES_IN);
}

/**
 * Runs `refresh --all --json`: its document, its wall time, and the pace hh.ru saw. The
 * span runs from the first request after the burst to the last, which at `rate` is at
 * least (requests - burst - 1) / rate: `floor` below. (The burst's own answers come first
 * and slowest, from a cold process, so they would shorten a span measured from them.)
 */
async function refreshAll(args: string[], env: Record<string, string>, timeoutMs = 20_000) {
  const first = tokenAnswers.length;
  const started = performance.now();
  const out = await runCli(['refresh', '--all', '--json', ...args], { env: h.env(env), timeoutMs });
  const wallS = (performance.now() - started) / 1000;
  const stamps = tokenAnswers.slice(first);
  const spanS = stamps.length > BURST + 1 ? (stamps.at(-1)! - stamps[BURST]!) / 1000 : 0;
  return { out, doc: out.code === null ? undefined : jsonOut(out), wallS, spanS, requests: stamps.length };
}
const floor = (requests: number, rate: number) => (requests - BURST - 1) / rate;

describe('refresh --all under a pace', () => {
  it('is paced: 20 requests at HH_RATE_LIMIT=10 are 0.1 s apart after the burst', async () => {
    await dueProfiles(20, 'a');
    const paced = await refreshAll(['--concurrency', '8'], { HH_RATE_LIMIT: '10' });
    expect(paced.out.code, paced.out.stderr).toBe(0);
    expect(paced.doc).toMatchObject({ refreshed: 20, failed: 0 });
    expect(paced.requests).toBe(20);
    expect(paced.spanS / floor(20, 10)).toBeGreaterThanOrEqual(0.95);
    expect(paced.spanS / floor(20, 10)).toBeLessThan(1.5);
  });

  it('--rate 0 overrides HH_RATE_LIMIT for the run: the same 20 requests take a fraction of that time', async () => {
    await dueProfiles(20, 'b');
    const unpaced = await refreshAll(['--concurrency', '8', '--rate', '0'], { HH_RATE_LIMIT: '10' });
    expect(unpaced.out.code, unpaced.out.stderr).toBe(0);
    expect(unpaced.doc).toMatchObject({ refreshed: 20, failed: 0 });
    expect(unpaced.requests).toBe(20);
    expect(unpaced.spanS / floor(20, 10)).toBeLessThan(0.5);
  });

  it('refuses a bad --rate (exit 2) or HH_RATE_LIMIT (exit 3) before sending anything; --rate needs --all', async () => {
    const before = h.sandbox.requests().length;
    const flag = await h.run(['refresh', '--all', '--rate', 'fast']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--rate must be a number of requests per second from 0 \(unpaced\) to 1000/);
    const env = await h.run(['refresh', '--all'], { env: { HH_RATE_LIMIT: '-1' } });
    expect(env.code).toBe(3);
    expect(env.stderr).toMatch(/HH_RATE_LIMIT must be a number of requests per second/);
    const single = await h.run(['refresh', '--rate', '5']);
    expect(single.code).toBe(2);
    expect(single.stderr).toMatch(/--rate only applies to --all/);
    expect(h.sandbox.requests().length).toBe(before);
  });

  it('`hh-oauth sandbox --rate-limit N` answers 429 beyond N requests per second', async () => {
    const child = spawn(process.execPath, [BIN, 'sandbox', '--port', '0', '--rate-limit', '2', '--json'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
      const { env } = JSON.parse(line);
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${env.HH_API_URL}/me`, { headers: { 'User-Agent': USER_AGENT } });
        statuses.push(res.status);
        await res.arrayBuffer();
      }
      expect(statuses.map((s) => s === 429)).toEqual([false, false, true, true]);
    } finally {
      child.kill('SIGTERM');
    }
    const bad = await h.run(['sandbox', '--port', '0', '--rate-limit', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--rate-limit must be a number of requests per second above 0/);
  });

  // About 125 s by design (1,000 requests at 8 per second); it is the only test of its size.
  it('1,000 due profiles at 8 per second against a sandbox limited to 10 per second: no 429, no failed profile', { timeout: 300_000 }, async () => {
    const n = 1000;
    const rate = 8;
    await dueProfiles(n, 'p');
    h.sandbox.setRateLimit(10);
    const refusedBefore = h.sandbox.stats().rateLimited;
    try {
      // HH_HTTP_RETRIES=0 (the harness): a single 429 would fail its profile.
      const run = await refreshAll(['--concurrency', '8', '--rate', String(rate)], {}, 280_000);
      expect(run.out.code, run.out.stderr).toBe(0);
      expect(run.doc).toMatchObject({ total: n, refreshed: n, failed: 0 });
      expect(h.sandbox.stats().rateLimited - refusedBefore).toBe(0);
      console.log(`paced refresh --all: ${n} profiles at ${rate}/s: wall ${run.wallS.toFixed(1)} s (${(run.wallS / (n / rate)).toFixed(3)}x of ${n / rate} s); after the burst, ${run.spanS.toFixed(2)} s for a floor of ${floor(n, rate).toFixed(2)} s`);
      expect(run.spanS / floor(n, rate)).toBeGreaterThanOrEqual(0.99);
    } finally {
      h.sandbox.setRateLimit(undefined);
    }
  });
});
