import { type Family, exposition, type Sample } from './exposition';

/**
 * The figures of hh-oauth's tokens, one series per profile, shared by the worker's
 * /metrics and `status --format prometheus` (node_exporter's textfile collector), so that
 * one set of alert rules serves both. No token and no path is ever a label.
 */
export interface TokenFigures {
  profile: string;
  /** token/profiles.ts's vocabulary: valid, expired-refreshable, missing, corrupt, unreadable. */
  state: string;
  expiresAt?: number;
  /** The last successful refresh (epoch ms): the record's obtained_at, or the worker's own. */
  lastRefreshAt?: number;
  /** Failures by exit class (the worker only: a counter since it started). */
  failures?: Partial<Record<string, number>>;
  /** The worker only: 1 while the profile waits for a person (login, repair). */
  needsPerson?: boolean;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

function* samplesOf(rows: readonly TokenFigures[], pick: (r: TokenFigures) => Sample | Sample[] | undefined): Generator<Sample> {
  for (const r of rows) {
    const s = pick(r);
    if (Array.isArray(s)) yield* s;
    else if (s) yield s;
  }
}

export function tokenFamilies(rows: readonly TokenFigures[], opts: { worker: boolean }): Family[] {
  const families: Family[] = [
    {
      name: 'hh_oauth_token_expiry_timestamp_seconds',
      type: 'gauge',
      help: 'When the access token of the profile expires (unix time).',
      samples: samplesOf(rows, (r) => (r.expiresAt === undefined ? undefined : { labels: { profile: r.profile }, value: seconds(r.expiresAt) })),
    },
    {
      name: 'hh_oauth_last_refresh_timestamp_seconds',
      type: 'gauge',
      help: 'When the profile last got a new token pair (unix time; the record\'s obtained_at).',
      samples: samplesOf(rows, (r) => (r.lastRefreshAt === undefined ? undefined : { labels: { profile: r.profile }, value: seconds(r.lastRefreshAt) })),
    },
    {
      name: 'hh_oauth_token_state',
      type: 'gauge',
      help: 'The state of the profile\'s token record (1 for its current state).',
      samples: samplesOf(rows, (r) => ({ labels: { profile: r.profile, state: r.state }, value: 1 })),
    },
  ];
  if (opts.worker) {
    families.push(
      {
        name: 'hh_oauth_refresh_failures_total',
        type: 'counter',
        help: 'Failed refreshes since the worker started, by exit class (docs/contract.md).',
        samples: samplesOf(rows, (r) => Object.entries(r.failures ?? {}).map(([exitClass, n]) => ({ labels: { profile: r.profile, exit_class: exitClass }, value: n ?? 0 }))),
      },
      {
        name: 'hh_oauth_needs_person',
        type: 'gauge',
        help: '1 while the worker leaves the profile alone until its token changes (login again, or repair the record).',
        samples: samplesOf(rows, (r) => ({ labels: { profile: r.profile }, value: r.needsPerson ? 1 : 0 })),
      },
    );
  }
  return families;
}

/** The worker's process basics (cheap: no sampling). */
export function processFamilies(startedAtMs: number): Family[] {
  return [
    { name: 'process_start_time_seconds', type: 'gauge', help: 'Start time of the process since unix epoch in seconds.', samples: [{ value: seconds(startedAtMs) }] },
    { name: 'process_resident_memory_bytes', type: 'gauge', help: 'Resident memory size in bytes.', samples: [{ value: process.memoryUsage.rss() }] },
  ];
}

export function tokenMetricsText(rows: readonly TokenFigures[], opts: { worker: boolean; startedAtMs?: number }): string {
  const families = tokenFamilies(rows, opts);
  if (opts.startedAtMs !== undefined) families.push(...processFamilies(opts.startedAtMs));
  return exposition(families);
}
