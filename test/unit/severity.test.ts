import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, mostSerious, SEVERITY, type ErrorCode } from '../../src/errors';
import { fail, pass, worstFailure } from '../../src/doctor/check';

/**
 * One order of seriousness (src/errors.ts) decides the exit code wherever several
 * failures meet: `refresh --all` (mostSerious over the profiles) and `doctor`
 * (worstFailure over the checks). They used to rank config and reauthorize differently.
 */
const codes = fc.constantFrom(...(Object.keys(EXIT_CODES) as ErrorCode[]));
const asChecks = (list: ErrorCode[]) => [pass('ok', 'm'), ...list.map((code, i) => fail(`c${i}`, code, 'm', 'f'))];

describe('the order of seriousness', () => {
  it('covers every error code once', () => {
    expect([...SEVERITY].sort()).toEqual(Object.keys(EXIT_CODES).sort());
  });

  it('puts what must be fixed first first: a configuration slip (3) outranks a dead token (4), since authorizing again needs the configuration', () => {
    expect(mostSerious(['reauthorize', 'config'])).toBe('config');
    expect(worstFailure(asChecks(['reauthorize', 'config']))).toBe('config');
    expect(worstFailure(asChecks(['reauthorize', 'rejected']))).toBe('rejected');
    expect(worstFailure(asChecks(['reauthorize', 'usage']))).toBe('usage');
    expect(worstFailure(asChecks(['config', 'store']))).toBe('store');
  });

  it('doctor and refresh --all pick the same failure from any set of failures', () => {
    fc.assert(
      fc.property(fc.array(codes, { minLength: 1, maxLength: 12 }), (list) => {
        expect(worstFailure(asChecks(list))).toBe(mostSerious(list));
      }),
    );
  });

  it('nothing failed: no code; a check that failed without one counts as a bug', () => {
    expect(worstFailure([pass('a', 'm')])).toBeUndefined();
    expect(worstFailure([{ ...fail('x', 'temporary', 'm', 'f'), code: null }, fail('y', 'store', 'm', 'f')])).toBe('internal');
  });
});
