import { describe, expect, it } from 'vitest';
import { monotonicElapse, parseShow, systemdTimestamp, timespanUsec } from '../../../src/system/timers';

describe('`systemctl show` output: timestamps in both styles, one block per unit', () => {
  it('reads both timestamp styles and treats never as null', () => {
    expect(systemdTimestamp('Mon 2026-11-23 17:00:00 UTC')).toBe('2026-11-23T17:00:00.000Z');
    expect(systemdTimestamp('@1795453200')).toBe(new Date(1795453200_000).toISOString());
    expect(systemdTimestamp('')).toBeNull();
    expect(systemdTimestamp('n/a')).toBeNull();
    expect(systemdTimestamp('@0')).toBeNull();
    expect(systemdTimestamp('Mon 2026-11-23 17:00:00 MSK')).toBeNull();
  });

  it('splits blocks per unit and ignores blocks without an Id', () => {
    const parsed = parseShow('Id=a.timer\nLoadState=loaded\n\n\nId=b.timer\nLoadState=not-found\nNextElapseUSecRealtime=\n\njunk\n');
    expect(parsed.map((t) => [t.unit, t.load_state, t.next_run])).toEqual([
      ['a.timer', 'loaded', null],
      ['b.timer', 'not-found', null],
    ]);
  });
});

describe('an interval timer (the expiry check) has only a monotonic next elapse', () => {
  // What systemd 252 printed in a booted container for hh-oauth-expiry.timer.
  const block = 'Id=hh-oauth-expiry.timer\nLoadState=loaded\nActiveState=active\nUnitFileState=enabled\nNextElapseUSecRealtime=\nNextElapseUSecMonotonic=3h 5min 40.223813s\nLastTriggerUSec=\n';
  const now = { realtimeMs: Date.parse('2026-12-01T23:55:00Z'), monotonicMs: (3 * 3600 + 4 * 60 + 40) * 1000 };

  it('maps it onto the wall clock: next_run is not null', () => {
    const [timer] = parseShow(block, now);
    expect(timer!.next_run).toBe('2026-12-01T23:56:00.223Z');
  });

  it('reads systemd spans, and none (0, infinity) as no next run', () => {
    expect(timespanUsec('1d 2h 3min 4.5s')).toBe((86400 + 7200 + 180 + 4.5) * 1e6);
    expect(timespanUsec('750ms')).toBe(750_000);
    expect(timespanUsec('1234')).toBe(1234);
    expect(timespanUsec('soon')).toBeNull();
    expect(monotonicElapse('0', now)).toBeNull();
    expect(monotonicElapse('infinity', now)).toBeNull();
  });

  it('prefers the wall-clock elapse of a calendar timer', () => {
    const [timer] = parseShow('Id=hh-oauth-refresh.timer\nNextElapseUSecRealtime=Wed 2026-12-02 17:00:00 UTC\nNextElapseUSecMonotonic=0\n', now);
    expect(timer!.next_run).toBe('2026-12-02T17:00:00.000Z');
  });
});
