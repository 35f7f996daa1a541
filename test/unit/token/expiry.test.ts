import { describe, expect, it } from 'vitest';
import { expiresAt, formatDuration, isDue, secondsLeft } from '../../../src/token/expiry';

describe('expiry: expires_at, due exactly at expiry, and the durations journal lines print', () => {
  const t0 = new Date('2026-11-23T09:00:00.000Z');
  it('expires_at is obtained_at + expires_in, and a token is due exactly at expiry, not a millisecond before', () => {
    const end = expiresAt(t0, 1209600);
    expect(end.toISOString()).toBe('2026-12-07T09:00:00.000Z');
    expect(isDue(end, new Date(end.getTime() - 1))).toBe(false);
    expect(isDue(end, end)).toBe(true);
    expect(secondsLeft(end, t0)).toBe(1209600);
    expect(secondsLeft(end, new Date(end.getTime() + 5000))).toBe(-5);
  });
  it('formats durations for journal lines', () => {
    expect(formatDuration(1209600)).toBe('14d 0h');
    expect(formatDuration(3725)).toBe('1h 2m');
    expect(formatDuration(61)).toBe('1m 1s');
    expect(formatDuration(7)).toBe('7s');
  });
});
