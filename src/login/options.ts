import { usageError } from '../errors';

/** Pure parsing of `login`'s own flags; bad values are usage errors (exit 2). */

export interface ListenAddress {
  host: string;
  port: number;
}

export const DEFAULT_LISTEN = '127.0.0.1:8400';
export const MAX_TIMEOUT_S = 24 * 3600;

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;

/** "127.0.0.1:8400", "[::1]:8400", "localhost:8400". */
export function parseListen(value: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const bad = () => usageError(`--listen must be HOST:PORT (e.g. ${DEFAULT_LISTEN} or [::1]:8400), got "${printable(value)}"`);
  if (!m) throw bad();
  const host = m[1] ?? m[2]!;
  if (m[1] !== undefined ? !(IPV6.test(host) && host.includes(':')) : !HOSTNAME.test(host)) throw bad();
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw usageError('--listen port must be between 1 and 65535');
  return { host, port };
}

export function formatListen(addr: ListenAddress): string {
  return addr.host.includes(':') ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`;
}

const UNIT_S: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** "10m", "90s", "1h", "1.5m", or a bare number of seconds; above 0 and at most a day. */
export function parseDuration(value: string, flag = '--timeout'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw usageError(`${flag} must be a duration such as 10m, 90s or 1h, got "${printable(value)}"`);
  const seconds = Number(m[1]) * UNIT_S[m[2] ?? 's']!;
  if (!(seconds > 0)) throw usageError(`${flag} must be above zero`);
  if (seconds > MAX_TIMEOUT_S) throw usageError(`${flag} must be at most 24h`);
  return seconds;
}

/** For echoing a bad argument back: no control characters, bounded length. */
function printable(value: string): string {
  const clean = value.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 60 ? `${clean.slice(0, 60)}…` : clean;
}
