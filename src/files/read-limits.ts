/**
 * The most hh-oauth reads of each kind of file, in one table: a file larger than its
 * limit is refused (never read whole), so a 2 GB file, a link to /dev/zero or a file that
 * grows while it is read cannot take the memory or the time of a run. Each limit is far
 * above what hh-oauth itself writes there, and far below what would strain a small
 * server. docs/security/token-files.md lists them; other kinds of file (settings, the
 * pending authorizations) add their own line here.
 */
const KiB = 1024;
const MiB = 1024 * KiB;

export const READ_LIMITS = {
  /**
   * token.json, profiles/NAME.json, a kept pair, the app-token file: one answer of the
   * token endpoint (~400 bytes from hh.ru; the HTTP client reads at most 1 MiB of it) plus
   * two dates. Re-encoding that answer can grow it (a number written 1E20 comes back with
   * 21 digits), so the limit is well above 5 × 1 MiB: whatever the writer stores, the
   * reader accepts (reservation.ts writes compact JSON above this limit).
   */
  tokenFile: 8 * MiB,
  /** A lock or its breaker: one owner record (pid, start time, host, namespace, boot id), ~200 bytes. */
  lock: 4 * KiB,
} as const;

/** "8 MiB", "4 KiB", "2.0 GiB": a size for a message. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * MiB) return `${(bytes / (1024 * MiB)).toFixed(1)} GiB`;
  if (bytes >= MiB) return Number.isInteger(bytes / MiB) ? `${bytes / MiB} MiB` : `${(bytes / MiB).toFixed(1)} MiB`;
  if (bytes >= KiB) return Number.isInteger(bytes / KiB) ? `${bytes / KiB} KiB` : `${(bytes / KiB).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}
