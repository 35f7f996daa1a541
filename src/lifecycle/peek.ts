import type { Config } from '../config/config';
import { formatDuration, secondsLeft } from '../token/expiry';
import { log } from '../output';
import { readToken, type StoredToken } from '../token/read';

/**
 * What the hot runners (src/cli/hot/) share with the full refresh: the file read as it is,
 * and the "not due" answer. Kept apart from refresh.ts so that the hot bundle never reaches
 * the store (src/store/) or the write protocol.
 */
export interface RefreshOutcome {
  status: 'refreshed' | 'not_due';
  expiresAt: Date;
}

/**
 * The hot path's read (src/cli/hot/): the file as it is, null when missing. The hot runners
 * hand a missing file over to the full command, whose loadToken may find a kept pair. Only
 * the file store is read here: with HH_TOKEN_STORE set, null too, and the full command
 * opens the store (its driver never reaches the hot bundle).
 */
/** False when HH_TOKEN_STORE names another store: the hot runners then hand the whole command to cli.js (TO_CLI). */
export function fileStoreSelected(config: Config): boolean {
  return !config.get('HH_TOKEN_STORE')?.value.trim();
}

export function peekToken(config: Config): Promise<StoredToken | null> {
  if (config.get('HH_TOKEN_STORE')?.value.trim()) return Promise.resolve(null);
  return readToken(config.tokenFile());
}

export function notDue(token: StoredToken, quiet = false): RefreshOutcome {
  (quiet ? log.debug : log.info)(`not due: the access token is valid until ${token.expiresAt.toISOString()} (${formatDuration(secondsLeft(token.expiresAt))} left)`);
  return { status: 'not_due', expiresAt: token.expiresAt };
}
