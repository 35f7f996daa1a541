import { describe, expect, it } from 'vitest';
import { throttled } from '../../../src/worker/health';

describe('the /metrics text, built at most once per window', () => {
  it('scrapes inside the window share one build; the next window builds again; a clock stepped back builds again', () => {
    let now = 1_000_000;
    let builds = 0;
    const text = throttled(5_000, () => `build ${++builds}`, () => now);
    expect(text()).toBe('build 1');
    for (let i = 0; i < 100; i++) {
      now += 40;
      expect(text()).toBe('build 1');
    }
    expect(builds).toBe(1);
    now += 1_000; // 5,000 ms after the first build
    expect(text()).toBe('build 2');
    now -= 60_000;
    expect(text()).toBe('build 3');
  });
});
