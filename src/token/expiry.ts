/** Pure expiry arithmetic. hh.ru refuses a refresh until the access token has expired, so "due" means "expired". */

export function expiresAt(obtainedAt: Date, expiresInSeconds: number): Date {
  return new Date(obtainedAt.getTime() + expiresInSeconds * 1000);
}

export function secondsLeft(expires: Date, now: Date = new Date()): number {
  return Math.floor((expires.getTime() - now.getTime()) / 1000);
}

export function isDue(expires: Date, now: Date = new Date()): boolean {
  return now.getTime() >= expires.getTime();
}

/** "13d 4h", "2h 5m", "42s": short enough for a journal line. */
export function formatDuration(seconds: number): string {
  const s = Math.abs(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}
