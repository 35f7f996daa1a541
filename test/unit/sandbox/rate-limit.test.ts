import { describe, expect, it } from 'vitest';
import { RateLimit } from '../../../src/sandbox/rate-limit';
import { USER_AGENT, useSandboxes } from '../../helpers';

const start = useSandboxes();

describe('the sandbox\'s per-IP rate limit', () => {
  it('lets N through at once, refuses the next, and refills at N per second', () => {
    let now = 0;
    const limit = new RateLimit(10, () => now);
    const burst = Array.from({ length: 11 }, () => limit.exceeded('127.0.0.1'));
    expect(burst).toEqual([...Array(10).fill(false), true]);
    now = 100; // one token back
    expect([limit.exceeded('127.0.0.1'), limit.exceeded('127.0.0.1')]).toEqual([false, true]);
    now = 10_000; // full again, never more than N
    expect(Array.from({ length: 11 }, () => limit.exceeded('127.0.0.1')).filter(Boolean)).toHaveLength(1);
  });

  it('holds a client at exactly N per second, and refuses one that keeps above it', () => {
    let now = 0;
    const limit = new RateLimit(10, () => now);
    let refused = 0;
    for (let i = 0; i < 1000; i++, now += 100) refused += Number(limit.exceeded('a'));
    expect(refused).toBe(0);
    const over = new RateLimit(10, () => now);
    for (let i = 0; i < 1000; i++, now += 1000 / 11) refused += Number(over.exceeded('a'));
    expect(refused).toBeGreaterThan(80); // 11/s against 10/s: after the first second, about one in eleven
  });

  it('below one per second: one request at a time, one per 1/N seconds', () => {
    let now = 0;
    const limit = new RateLimit(0.5, () => now);
    expect([limit.exceeded('a'), limit.exceeded('a')]).toEqual([false, true]);
    now = 1999;
    expect(limit.exceeded('a')).toBe(true);
    now = 4000;
    expect(limit.exceeded('a')).toBe(false);
  });

  it('counts each address on its own', () => {
    const limit = new RateLimit(1, () => 0);
    expect([limit.exceeded('a'), limit.exceeded('b'), limit.exceeded('a')]).toEqual([false, false, true]);
  });

  it('startSandbox({ rateLimit }) answers 429 with the DDoS-guard page and a Retry-After, counts it, and can be lifted', async () => {
    const sb = await start({ rateLimit: 3 });
    const post = () =>
      fetch(sb.env.HH_TOKEN_URL, { method: 'POST', headers: { 'user-agent': USER_AGENT, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=refresh_token&refresh_token=x' });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await post());
    expect(answers.map((r) => r.status === 429)).toEqual([false, false, false, true, true]);
    const refused = answers[3]!;
    expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.text()).toMatch(/^<!DOCTYPE html>[\s\S]*more than 3 requests per second/);
    expect(sb.stats().rateLimited).toBe(2);
    expect(sb.requests()).toHaveLength(5); // hh.ru's edge saw them all

    sb.setRateLimit(undefined);
    for (let i = 0; i < 5; i++) expect((await post()).status).not.toBe(429);
    sb.setRateLimit(1);
    expect([(await post()).status === 429, (await post()).status === 429]).toEqual([false, true]);
    expect(sb.stats().rateLimited).toBe(3);
  });

  it('has no limit by default', async () => {
    const sb = await start();
    for (let i = 0; i < 30; i++) expect((await fetch(`${sb.url}/me`, { headers: { 'user-agent': USER_AGENT } })).status).not.toBe(429);
    expect(sb.stats().rateLimited).toBe(0);
  });
});
