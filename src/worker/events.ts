import type { HhOauthError } from '../errors';
import { EXIT_CODES } from '../errors';
import { formatDuration, secondsLeft } from '../token/expiry';
import { jsonLine, log as plain, setLogSink, write } from '../output';

/**
 * The worker's log: one line per event, as the usual human lines (the journal's, with
 * priorities) or, with `--log-format json`, one JSON object per line on stderr for a
 * container's log collector. Fields are names, dates, exit classes and hh.ru's request_id:
 * never a token (the messages are the CLI's own error messages, which hold none).
 */
export type LogFormat = 'human' | 'json';

type Level = 'error' | 'warn' | 'info' | 'debug';

export interface WorkerLog {
  started(fields: { mode: 'all' | 'profile'; profile?: string; listen?: string }): void;
  refreshed(profile: string, expiresAt: Date): void;
  notDue(profile: string, expiresAt: Date): void;
  skewRetry(profile: string, expiresAt: Date, retryInMs: number): void;
  failed(profile: string, err: HhOauthError, retryInMs: number | undefined): void;
  stopping(signal: string): void;
  stopped(): void;
}

const iso = (d: Date) => d.toISOString();
const inSeconds = (ms: number) => Math.round(ms / 100) / 10;

export function workerLog(format: LogFormat): WorkerLog {
  return format === 'json' ? jsonLog() : humanLog();
}

/**
 * The store is read again every few seconds, and a read repeats its warnings (a token
 * file's mode, a name that is not a profile): each distinct line is printed once, not at
 * every read. Bounded, so that 10,000 profiles' distinct lines cannot grow it for ever.
 */
function onceEach(): (message: string) => boolean {
  const seen = new Set<string>();
  return (message) => {
    if (seen.has(message)) return false;
    if (seen.size >= 10_000) seen.clear();
    seen.add(message);
    return true;
  };
}

function jsonLog(): WorkerLog {
  const line = (level: Level, event: string, fields: Record<string, unknown> = {}) => {
    write(2, jsonLine({ time: new Date().toISOString(), level, event, ...fields }));
  };
  // Every other line (a lock taken over, a retry of the HTTP client) becomes an event too.
  const first = onceEach();
  setLogSink((level, message) => {
    if (level === 'debug' || first(message)) line(level, 'log', { message });
    return true;
  });
  return {
    started: (f) => line('info', 'started', f),
    refreshed: (profile, expiresAt) => line('info', 'refreshed', { profile, expires_at: iso(expiresAt) }),
    notDue: (profile, expiresAt) => line('info', 'not_due', { profile, expires_at: iso(expiresAt) }),
    skewRetry: (profile, expiresAt, ms) => line('warn', 'not_due', { profile, reason: 'clock_skew', expires_at: iso(expiresAt), retry_in_seconds: inSeconds(ms) }),
    failed: (profile, err, ms) =>
      line(err.code === 'temporary' ? 'warn' : 'error', 'failed', {
        profile,
        exit_class: err.code,
        exit_code: EXIT_CODES[err.code],
        message: err.message,
        ...(err.requestId ? { request_id: err.requestId } : {}),
        ...(err.suggestion ? { suggestion: err.suggestion } : {}),
        ...(ms === undefined ? { retry: 'when_changed' } : { retry_in_seconds: inSeconds(ms) }),
      }),
    stopping: (signal) => line('info', 'stopping', { signal }),
    stopped: () => line('info', 'stopped'),
  };
}

function humanLog(): WorkerLog {
  const first = onceEach();
  // The worker's own lines are never repeats (each names a time); the others print once each.
  let own = false;
  setLogSink((level, message) => !own && level !== 'debug' && !first(message));
  const say = (fn: () => void) => {
    own = true;
    try {
      fn();
    } finally {
      own = false;
    }
  };
  const log = {
    info: (m: string) => say(() => plain.info(m)),
    warn: (m: string) => say(() => plain.warn(m)),
    error: (m: string) => say(() => plain.error(m)),
    hint: (m: string, level: 'error') => say(() => plain.hint(m, level)),
  };
  return {
    started: (f) => log.info(`watching ${f.mode === 'all' ? 'every profile' : `profile ${f.profile}`}${f.listen ? `; health and metrics on http://${f.listen}/` : ''}`),
    refreshed: (profile, expiresAt) => log.info(`${profile}: refreshed; the new access token expires ${iso(expiresAt)} (in ${formatDuration(secondsLeft(expiresAt))})`),
    notDue: (profile, expiresAt) => log.info(`${profile}: not due (refreshed elsewhere?); valid until ${iso(expiresAt)}`),
    skewRetry: (profile, _expiresAt, ms) => log.warn(`${profile}: hh.ru says the token has not expired yet (its clock and ours differ); trying again in ${inSeconds(ms)} s`),
    failed: (profile, err, ms) => {
      if (ms === undefined) {
        log.error(`${profile}: ${err.message}; left alone until its token changes`);
        if (err.suggestion) log.hint(err.suggestion, 'error');
      } else {
        log.warn(`${profile}: ${err.message}; trying again in ${inSeconds(ms)} s`);
      }
    },
    stopping: (signal) => log.info(`${signal}: stopping (a refresh in progress is finished and stored first)`),
    stopped: () => log.info('stopped'),
  };
}
