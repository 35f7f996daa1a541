import { firstLine, runTool } from './host-tools';
import { TIMERS } from './unit-names';

/**
 * The systemd timers' schedule, asked of systemctl (read-only `show`). Where there
 * is no systemctl, or no systemd behind it (a container), the answer is null and
 * the caller says so; it is never an error.
 */

export interface TimerStatus {
  unit: string;
  /** systemd's LoadState: "loaded", or "not-found" when the unit is not installed. */
  load_state: string;
  /** ActiveState: "active" while the timer is scheduled. */
  active_state: string;
  /** UnitFileState: "enabled", "disabled", … ("" when not installed). */
  enabled: string;
  next_run: string | null;
  last_run: string | null;
}

// An OnCalendar= timer has a wall-clock next elapse; an OnActiveSec=/OnUnitActiveSec= timer
// (the expiry check) has only a monotonic one, so both are asked for.
const PROPERTIES = ['Id', 'LoadState', 'ActiveState', 'UnitFileState', 'NextElapseUSecRealtime', 'NextElapseUSecMonotonic', 'LastTriggerUSec'];

/** The timers' state, or null with the reason when systemctl cannot tell. */
export async function timerStatus(units: readonly string[] = TIMERS): Promise<{ timers: TimerStatus[] | null; reason?: string }> {
  const args = ['show', ...units, ...PROPERTIES.map((p) => `--property=${p}`)];
  // TZ=UTC: the timestamps come back in the one zone systemdTimestamp parses.
  const run = await runTool('systemctl', args, { timeoutMs: 5000, env: { TZ: 'UTC' } });
  if (run.status === 'missing') return { timers: null, reason: 'systemctl is not installed' };
  if (run.status === 'failed') return { timers: null, reason: `systemctl cannot tell: ${firstLine(run)}` };
  const timers = parseShow(run.stdout, { realtimeMs: Date.now(), monotonicMs: Number(process.hrtime.bigint() / 1_000_000n) });
  if (timers.length !== units.length) return { timers: null, reason: 'systemctl answered in an unexpected format' };
  return { timers };
}

/** One instant on both clocks: the wall clock, and CLOCK_MONOTONIC (process.hrtime), which systemd's monotonic timers use. */
export interface ClockPair {
  realtimeMs: number;
  monotonicMs: number;
}

/**
 * Parses `systemctl show` output: one block of KEY=VALUE lines per unit, blocks separated by a blank line.
 * `now` turns a monotonic next elapse into a wall-clock time; without it only NextElapseUSecRealtime counts.
 */
export function parseShow(stdout: string, now?: ClockPair): TimerStatus[] {
  return stdout
    .split(/\n\s*\n/)
    .map((block) => Object.fromEntries(block.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])))
    .filter((props) => props.Id)
    .map((props) => ({
      unit: props.Id!,
      load_state: props.LoadState ?? '',
      active_state: props.ActiveState ?? '',
      enabled: props.UnitFileState ?? '',
      next_run: systemdTimestamp(props.NextElapseUSecRealtime) ?? monotonicElapse(props.NextElapseUSecMonotonic, now),
      last_run: systemdTimestamp(props.LastTriggerUSec),
    }));
}

/**
 * A timestamp as systemctl prints it, run with TZ=UTC: "Mon 2026-11-23 17:00:00 UTC"
 * (or "@1763917200" under --timestamp=unix) → ISO; "", "n/a" or 0 (never) → null.
 */
export function systemdTimestamp(value: string | undefined): string | null {
  const text = value?.trim() ?? '';
  const unix = /^@(\d+)$/.exec(text);
  if (unix) return unix[1] === '0' ? null : new Date(Number(unix[1]) * 1000).toISOString();
  const pretty = /^(?:[A-Za-z]{3} )?(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) UTC$/.exec(text);
  if (!pretty) return null;
  const date = new Date(`${pretty[1]}T${pretty[2]}Z`);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/**
 * NextElapseUSecMonotonic as a wall-clock ISO time. systemctl prints it as a span since
 * boot ("3h 5min 40.223813s"; "0" or "infinity" when there is none); the host's monotonic
 * clock is shared by every container on it, so `now` maps it onto the wall clock.
 */
export function monotonicElapse(value: string | undefined, now: ClockPair | undefined): string | null {
  const usec = timespanUsec(value);
  if (usec === null || usec === 0 || !now) return null;
  return new Date(now.realtimeMs + (usec / 1000 - now.monotonicMs)).toISOString();
}

const SPAN_UNITS: Record<string, number> = {
  y: 31_557_600e6, month: 2_629_800e6, w: 604_800e6, d: 86_400e6, h: 3_600e6, min: 60e6, s: 1e6, ms: 1e3, us: 1, μs: 1,
};

/** A systemd time span as systemctl prints it ("1d 2h 3min 4.5s", "750ms", a bare number of µs) → µs; null when unreadable. */
export function timespanUsec(value: string | undefined): number | null {
  const text = value?.trim() ?? '';
  if (/^\d+$/.test(text)) return Number(text);
  if (!text || text === 'infinity') return null;
  let total = 0;
  for (const part of text.split(/\s+/)) {
    const m = /^(\d+(?:\.\d+)?)(y|month|w|d|h|min|s|ms|us|μs)$/u.exec(part);
    if (!m) return null;
    total += Number(m[1]) * SPAN_UNITS[m[2]!]!;
  }
  return Math.round(total);
}
