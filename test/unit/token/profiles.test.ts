import { describe, expect, it } from 'vitest';
import { forEachBounded } from '../../../src/token/profiles';
import { sleep } from '../../helpers';

describe('forEachBounded: at most the limit at once, each item once, calls in flight finished before an error', () => {
  it('never runs more than the limit at once, and runs every item once', async () => {
    async function* items(n: number) {
      for (let i = 0; i < n; i++) yield i;
    }
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachBounded(items(50), 3, async (i) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setImmediate(r));
      seen.push(i);
      running--;
    });
    expect(peak).toBe(3);
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
  });

  it('when the stream throws, waits for the calls in flight before passing the error on', async () => {
    async function* failing() {
      yield 1;
      yield 2;
      throw new Error('listing failed');
    }
    const finished: number[] = [];
    const outcome = await forEachBounded(failing(), 4, async (i) => {
      await sleep(20 * i);
      finished.push(i);
    }).catch((err: Error) => `rejected after ${finished.length} finished: ${err.message}`);
    expect(outcome).toBe('rejected after 2 finished: listing failed');
  });
});
