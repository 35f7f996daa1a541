import { randomBytes } from 'node:crypto';

/**
 * Fails when any secret, or any 8-character piece of one beyond its first 4
 * characters, appears in the captured text. Masked references show at most 4.
 */
export function findLeaks(texts: string[], secrets: string[]): string[] {
  const leaks: string[] = [];
  for (const secret of new Set(secrets)) {
    if (secret.length < 9) continue;
    const pieces: string[] = [];
    for (let i = 1; i + 8 <= secret.length; i++) pieces.push(secret.slice(i, i + 8));
    pieces.push(secret.slice(0, 5));
    for (const text of texts) {
      const hit = pieces.find((p) => text.includes(p));
      if (hit) {
        leaks.push(`${secret.slice(0, 4)}… found in output: …${text.slice(Math.max(0, text.indexOf(hit) - 30), text.indexOf(hit))}[here]…`);
        break;
      }
    }
  }
  return leaks;
}

/**
 * The suite-wide registry the leak scan reads: every secret source (each sandbox's
 * issued() list: client secrets, codes, tokens) and every text the suite's processes
 * produced (stdout, stderr, argv given and argv sampled from /proc).
 */
const secretSources: Array<() => string[]> = [];

export function trackSecrets(source: () => string[]): void {
  secretSources.push(source);
}

/** Scans texts (by default everything captured from CLI runs) against every tracked secret. */
export function leakReport(texts: string[]): string[] {
  return findLeaks(texts, secretSources.flatMap((source) => source()));
}

/** A random secret shaped like hh.ru's tokens (USER + 60 upper-case hex digits), for feeding the scan or standing in for a grant. */
export const fakeSecret = () => `USER${randomBytes(30).toString('hex').toUpperCase()}`;
