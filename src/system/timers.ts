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

const PROPERTIES = ['Id', 'LoadState', 'ActiveState', 'UnitFileState', 'NextElapseUSecRealtime', 'LastTriggerUSec'];

/** The timers' state, or null with the reason when systemctl cannot tell. */
export async function timerStatus(units: readonly string[] = TIMERS): Promise<{ timers: TimerStatus[] | null; reason?: string }> {
  const args = ['show', ...units, ...PROPERTIES.map((p) => `--property=${p}`)];
  // TZ=UTC: the timestamps come back in the one zone systemdTimestamp parses.
  const run = await runTool('systemctl', args, { timeoutMs: 5000, env: { TZ: 'UTC' } });
  if (run.status === 'missing') return { timers: null, reason: 'systemctl is not installed' };
  if (run.status === 'failed') return { timers: null, reason: `systemctl cannot tell: ${firstLine(run)}` };
  const timers = parseShow(run.stdout);
  if (timers.length !== units.length) return { timers: null, reason: 'systemctl answered in an unexpected format' };
  return { timers };
}

/** Parses `systemctl show` output: one block of KEY=VALUE lines per unit, blocks separated by a blank line. */
export function parseShow(stdout: string): TimerStatus[] {
  return stdout
    .split(/\n\s*\n/)
    .map((block) => Object.fromEntries(block.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])))
    .filter((props) => props.Id)
    .map((props) => ({
      unit: props.Id!,
      load_state: props.LoadState ?? '',
      active_state: props.ActiveState ?? '',
      enabled: props.UnitFileState ?? '',
      next_run: systemdTimestamp(props.NextElapseUSecRealtime),
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
