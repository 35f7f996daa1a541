import { describe, expect, it } from 'vitest';
import { parseShow, systemdTimestamp } from '../../../src/system/timers';

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
