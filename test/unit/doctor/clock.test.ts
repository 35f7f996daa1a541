import { describe, expect, it } from 'vitest';
import { clockCheck, clockSkewSeconds } from '../../../src/doctor/clock';

const at = (iso: string) => new Date(iso);
const sample = (serverIso: string, localIso: string) => ({ date: at(serverIso), receivedAt: at(localIso) });

describe('clock skew (pure: a sandbox clock cannot be faked)', () => {
  it('treats the Date header as truncated to the second', () => {
    expect(clockSkewSeconds(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:00.400Z'))).toBe(0);
    expect(clockSkewSeconds(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:00.999Z'))).toBe(0);
    expect(clockSkewSeconds(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:30.500Z'))).toBe(30);
    expect(clockSkewSeconds(at('2026-01-01T00:01:00Z'), at('2026-01-01T00:00:00.500Z'))).toBe(-60);
  });

  it('passes within ±60 s and says which way', () => {
    const ahead = clockCheck(sample('2026-01-01T00:00:00Z', '2026-01-01T00:00:45.5Z'), 'api.hh.ru');
    expect(ahead).toMatchObject({ name: 'clock', status: 'pass', ok: true });
    expect(ahead.message).toMatch(/^45 s ahead of the Date of api\.hh\.ru/);
    const behind = clockCheck(sample('2026-01-01T00:01:00Z', '2026-01-01T00:00:00.5Z'), 'api.hh.ru');
    expect(behind).toMatchObject({ status: 'pass' });
    expect(behind.message).toMatch(/^60 s behind/);
    expect(clockCheck(sample('2026-01-01T00:00:00Z', '2026-01-01T00:00:00.7Z'), 'x').message).toMatch(/^in step with/);
  });

  it('fails beyond ±60 s with the consequence and a fix', () => {
    const ahead = clockCheck(sample('2026-01-01T00:00:00Z', '2026-01-01T00:01:01.5Z'), 'api.hh.ru');
    expect(ahead).toMatchObject({ status: 'fail', ok: false, code: 'config' });
    expect(ahead.message).toContain('61 s ahead');
    expect(ahead.message).toContain('before hh.ru allows it');
    expect(ahead.fix).toContain('timedatectl set-ntp true');
    const behind = clockCheck(sample('2026-01-01T00:05:00Z', '2026-01-01T00:00:00.5Z'), 'api.hh.ru');
    expect(behind.message).toContain('5 min 0 s behind');
    expect(behind.message).toContain('stay dead');
  });
});
