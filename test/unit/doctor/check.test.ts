import { describe, expect, it } from 'vitest';
import { fail, pass, skip, worstFailure } from '../../../src/doctor/check';
import { EXIT_CODES } from '../../../src/errors';

const exitCodeFor = (checks: Parameters<typeof worstFailure>[0]) => {
  const worst = worstFailure(checks);
  return worst ? EXIT_CODES[worst] : 0;
};

describe('doctor exit code: the most serious failure decides', () => {
  const f = (code: Parameters<typeof fail>[1]) => fail('x', code, 'm', 'f');
  it('is 0 when nothing failed, skips included', () => {
    expect(exitCodeFor([pass('a', 'm'), skip('b', 'm')])).toBe(0);
  });
  it('is the most serious failure: store > config > rejected > reauthorize > temporary (src/errors.ts)', () => {
    expect(exitCodeFor([f('temporary'), f('config')])).toBe(3);
    expect(exitCodeFor([f('config'), f('reauthorize')])).toBe(3);
    expect(exitCodeFor([f('reauthorize'), f('store'), f('config')])).toBe(7);
    expect(exitCodeFor([f('temporary')])).toBe(6);
    expect(exitCodeFor([f('temporary'), f('internal')])).toBe(1);
  });
});
