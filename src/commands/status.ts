import type { STATUS } from '../cli/commands';
import type { OptionsFor } from '../cli/spec';
import { loadConfig } from '../config/config';
import { HhOauthError, usageError } from '../errors';
import { formatDuration } from '../token/expiry';
import { isAbsolute, normalize } from 'node:path';
import { isJsonMode, log, printable, result } from '../output';
import { timerStatus, type TimerStatus } from '../system/timers';
import { inspectTokenFile, stateError, type TokenFileStatus } from '../token/inspect';
import { inspectProfileOf } from '../lifecycle/inspect';
import { storeOf } from '../lifecycle/stores';
import { secondsLeft } from '../token/expiry';

/**
 * `hh-oauth status`: the token file and the timers, without the network and
 * without changing anything. The --json object is documented in docs/contract.md; it is
 * printed for every state, so that `jq .state` works even when the exit code is 4 or 7.
 */
export type StatusOptions = OptionsFor<typeof STATUS>;

export default async function status(opts: StatusOptions): Promise<void> {
  if (opts.format === 'prometheus') return prometheus(opts);
  if (opts.metricsDir !== undefined) throw usageError('--metrics-dir only applies to --format prometheus');
  const config = loadConfig(opts);
  const { status: file, error } = await inspectSlot(config);
  if (file.mode_ok === false && file.state === 'corrupt') {
    log.warn(`${file.token_file} has mode ${file.mode}; a token file should be 0600 (or 0640 for a reader group)`);
  }
  const { timers, reason } = await timerStatus();
  // The human report shows the reason itself; --json has only null, so say why on stderr.
  if (!timers && isJsonMode()) log.info(`timers: unknown (${reason})`);

  result({ ...file, timers }, human(file, timers));
  // The document above is the answer; the exit code says whether it is a good one.
  if (error) throw new HhOauthError(error.code, error.message, { suggestion: error.suggestion, answered: true });
}

/**
 * The file store's slot is a file, shown with its owner and mode (token/inspect.ts);
 * another store's has neither, and adds `store`: the document's fields are only added to.
 */
async function inspectSlot(config: ReturnType<typeof loadConfig>): Promise<{ status: TokenFileStatus & { store?: string }; error?: HhOauthError }> {
  const store = await storeOf(config);
  if (store.kind === 'file') return inspectTokenFile(config.tokenFile());
  const info = await inspectProfileOf(config);
  const status = {
    token_file: info.tokenFile,
    store: store.describe(),
    state: info.state,
    owner: null,
    mode: null,
    mode_ok: null,
    obtained_at: info.obtainedAt?.toISOString() ?? null,
    expires_at: info.expiresAt?.toISOString() ?? null,
    expires_at_derived: info.legacy ?? null,
    seconds_left: info.expiresAt ? Math.max(0, secondsLeft(info.expiresAt)) : null,
    problem: info.error ?? (info.state === 'missing' ? `no token stored for ${info.tokenFile}` : null),
  };
  return { status, error: info.cause ?? (info.state === 'missing' ? stateError(status) : undefined) };
}

function human(file: TokenFileStatus & { store?: string }, timers: TimerStatus[] | null): string {
  const rows: Array<[string, string]> = [
    [file.store ? 'token' : 'token file', file.token_file],
    ['state', file.state],
  ];
  if (file.owner) rows.push(['owner', `${file.owner.user ?? file.owner.uid}:${file.owner.group ?? file.owner.gid}`]);
  if (file.mode) rows.push(['mode', `${file.mode}${file.mode_ok ? '' : ' (too open: use 0600, or 0640 for a reader group)'}`]);
  if (file.obtained_at) rows.push(['obtained', file.obtained_at]);
  if (file.expires_at) {
    const when = file.seconds_left ? `in ${formatDuration(file.seconds_left)}` : 'expired; the next refresh renews it';
    rows.push(['expires', `${file.expires_at} (${when})${file.expires_at_derived ? ', from the file time' : ''}`]);
  }
  if (file.problem && (file.state === 'corrupt' || file.state === 'unreadable' || file.state === 'moved')) rows.push(['problem', file.problem]);
  if (timers === null) rows.push(['timers', 'unknown (no systemd here)']);
  else for (const t of timers) rows.push([t.unit, timerLine(t)]);
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`).join('\n');
}

function timerLine(t: TimerStatus): string {
  if (t.load_state !== 'loaded') return 'not installed (run `hh-oauth install-units`)';
  const next = t.next_run ? `next run ${t.next_run}` : 'no next run scheduled';
  return `${t.active_state}, ${t.enabled || 'unknown'}; ${next}`;
}

/** The metrics text of every profile; a profile's state is a figure there, so the exit code is 0 once it is out. */
async function prometheus(opts: StatusOptions): Promise<void> {
  if (opts.json) throw usageError('--format prometheus prints the metrics text; drop --json');
  if (opts.metricsDir !== undefined && !isAbsolute(opts.metricsDir)) throw usageError(`--metrics-dir must be an absolute path; got "${printable(opts.metricsDir)}"`);
  const { writeStatusMetrics } = await import('../metrics/status-textfile');
  await writeStatusMetrics(loadConfig(opts), opts.metricsDir === undefined ? undefined : normalize(opts.metricsDir));
}
