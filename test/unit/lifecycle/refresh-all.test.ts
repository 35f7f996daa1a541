import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../src/errors';
import { mostSerious, SEVERITY } from '../../../src/errors';

describe('the exit code of refresh --all', () => {
  const codes = fc.constantFrom(...SEVERITY);

  it('is temporary (6, retried) exactly when every failure was temporary', () => {
    fc.assert(
      fc.property(fc.array(codes, { minLength: 1, maxLength: 20 }), (list: ErrorCode[]) => {
        const worst = mostSerious(list)!;
        expect(worst === 'temporary').toBe(list.every((c) => c === 'temporary'));
        expect(list).toContain(worst);
      }),
    );
  });

  it('ranks store above reauthorize above temporary, and nothing when nothing failed', () => {
    expect(mostSerious([])).toBeUndefined();
    expect(mostSerious(['temporary', 'reauthorize'])).toBe('reauthorize');
    expect(mostSerious(['reauthorize', 'store', 'temporary'])).toBe('store');
    expect(mostSerious(['rejected', 'reauthorize'])).toBe('rejected');
    expect(mostSerious(['store', 'internal'])).toBe('internal');
  });
});
