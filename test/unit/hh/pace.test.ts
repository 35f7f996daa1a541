import { describe, expect, it } from 'vitest';
import { BURST, DEFAULT_RATE, Pacer, paced } from '../../../src/hh/pace';

/** A clock the test moves; each reservation is "sent" at now + its wait. */
function clocked(rate: number) {
  let now = 0;
  const pacer = new Pacer(rate, () => now);
  return {
    pacer,
    at: (ms: number) => void (now = ms),
    /** Send times of `n` requests asked for at once, at the current time. */
    sendTimes: (n: number) => Array.from({ length: n }, () => now + pacer.reserve()),
  };
}

describe('the process pace (token bucket)', () => {
  it('the default leaves room under hh.ru\'s ~10 per second: no one-second window holds more than burst + rate', () => {
    expect(DEFAULT_RATE + BURST).toBeLessThan(10);
    const { sendTimes } = clocked(DEFAULT_RATE);
    const times = sendTimes(200);
    for (const start of times) expect(times.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(BURST + DEFAULT_RATE);
  });

  it('sends a burst at once, then one per 1/rate, in the order asked', () => {
    const { sendTimes } = clocked(10);
    expect(sendTimes(6)).toEqual([0, 0, 0, 100, 200, 300]);
  });

  it('20 requests at 10 per second span (20 - burst) / 10 seconds: the floor the e2e test measures against', () => {
    const { sendTimes } = clocked(10);
    const times = sendTimes(20);
    expect(times.at(-1)! - times[0]!).toBeCloseTo(((20 - BURST) / 10) * 1000, 6);
  });

  it('refills while idle, up to the burst and no further', () => {
    const { sendTimes, at } = clocked(4);
    sendTimes(3);
    at(60_000);
    expect(sendTimes(5)).toEqual([60_000, 60_000, 60_000, 60_250, 60_500]);
  });

  it('keeps the burst within one second\'s worth, one at least', () => {
    expect(new Pacer(2).burst).toBe(2);
    expect(new Pacer(0.5).burst).toBe(1);
    expect(new Pacer(100).burst).toBe(BURST);
    const { sendTimes } = clocked(0.5);
    expect(sendTimes(3)).toEqual([0, 2000, 4000]);
  });

  it('paced(0) never waits; paced(rate) really waits once the burst is spent', async () => {
    const started = performance.now();
    for (let i = 0; i < 50; i++) await paced(0);
    const unpaced = performance.now() - started;
    const rate = 50;
    const floor = ((10 - Math.min(BURST, rate)) / rate) * 1000;
    const t = performance.now();
    for (let i = 0; i < 10; i++) await paced(rate);
    const elapsed = performance.now() - t;
    expect(unpaced).toBeLessThan(floor / 2);
    expect(elapsed / floor).toBeGreaterThanOrEqual(0.95);
  });
});
