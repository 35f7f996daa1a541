import { describe, expect, it } from 'vitest';
import { Config, numericSettingProblem, SETTINGS } from '../../../src/config/config';
import { validateSettingValue } from '../../../src/config/setting-values';
import { DEFAULT_RATE } from '../../../src/hh/pace';

const config = (env: Record<string, string>, flags: Record<string, string> = {}) => new Config(flags, env, {}, {});

describe('HH_RATE_LIMIT (config key rate-limit)', () => {
  it('is in the settings table with the pacer\'s default', () => {
    expect(SETTINGS.HH_RATE_LIMIT).toEqual({ key: 'rate-limit', default: String(DEFAULT_RATE) });
    expect(config({}).rateLimit()).toBe(DEFAULT_RATE);
  });

  it('takes 0 (unpaced), whole numbers and decimals up to 1000; nothing else', () => {
    for (const ok of ['0', '0.5', '5', '8', '12.25', '1000']) expect(numericSettingProblem('HH_RATE_LIMIT', ok), ok).toBeUndefined();
    for (const bad of ['', '-1', 'abc', '1e3', '0x10', '.5', '5.', '1001', ' 5']) {
      expect(numericSettingProblem('HH_RATE_LIMIT', bad), bad).toMatch(/from 0 \(unpaced\) to 1000/);
    }
    expect(config({ HH_RATE_LIMIT: '0.5' }).rateLimit()).toBe(0.5);
    expect(config({ HH_RATE_LIMIT: '0' }).rateLimit()).toBe(0);
  });

  it('a bad value is a config error (exit 3) from the environment, a usage error (exit 2) from --rate', () => {
    expect(() => config({ HH_RATE_LIMIT: 'fast' }).rateLimit()).toThrow(expect.objectContaining({ code: 'config', message: expect.stringContaining('HH_RATE_LIMIT must be') }));
    expect(() => config({}, { HH_RATE_LIMIT: 'fast' }).rateLimit()).toThrow(expect.objectContaining({ code: 'usage', message: expect.stringContaining('--rate must be') }));
  });

  it('--rate wins over the environment for its run', () => {
    expect(config({ HH_RATE_LIMIT: '5' }, { HH_RATE_LIMIT: '8' }).rateLimit()).toBe(8);
  });

  it('`config set rate-limit` uses the same rule', () => {
    expect(validateSettingValue('HH_RATE_LIMIT', '2.5')).toBe('2.5');
    expect(() => validateSettingValue('HH_RATE_LIMIT', 'lots')).toThrow(/rate-limit: must be a number of requests per second/);
  });
});
