import type { Config } from '../config/config';
import { formatDuration, isDue, secondsLeft } from '../token/expiry';
import { reauthorizeError } from '../errors';
import type { HhClient, UserGrant } from '../hh/client';
import { refreshHook } from './hook';
import { isNotExpiredAnswer } from '../hh/errors';
import { log } from '../output';
import { PendingWrite, quarantine, readToken, readTokenOrKept, withTokenLock, type StoredToken } from '../token/store';
import { isCorruptError, recordFromGrant } from '../token/record';

/**
 * The token lifecycle that several commands share. hh.ru lets a refresh token be
 * used once, and only after the access token has expired, so a refresh is always:
 * lock, re-read (someone may have refreshed while we waited), spend, write.
 */
export interface RefreshOutcome {
  status: 'refreshed' | 'not_due';
  expiresAt: Date;
}

/**
 * The hot path's read (src/hot/): the file as it is, null when missing. The hot runners
 * hand a missing file over to the full command, whose loadToken may find a kept pair.
 */
export function peekToken(config: Config): Promise<StoredToken | null> {
  return readToken(config.tokenFile());
}

export async function loadToken(config: Config): Promise<StoredToken> {
  const path = config.tokenFile();
  const token = await readTokenOrKept(path, config.seconds('HH_LOCK_TIMEOUT'));
  if (!token) throw reauthorizeError(`no token file at ${path}`);
  return token;
}

export interface RefreshOptions {
  force?: boolean;
  client?: HhClient;
  /** Outcome lines at debug level: refresh --all writes one summary line instead of one per profile. */
  quiet?: boolean;
}

export async function refreshIfDue(config: Config, opts: RefreshOptions = {}): Promise<RefreshOutcome> {
  const path = config.tokenFile();
  const hook = refreshHook(config);
  // Cheap check without the lock: writes are atomic renames, so this read is safe.
  const first = await loadToken(config);
  if (!opts.force && !isDue(first.expiresAt)) return notDue(first, opts.quiet);

  const outcome = await withTokenLock(path, config.seconds('HH_LOCK_TIMEOUT'), async (): Promise<RefreshOutcome> => {
    const current = await loadToken(config);
    if (!isDue(current.expiresAt) && (!opts.force || current.refreshToken !== first.refreshToken)) return notDue(current, opts.quiet);

    const client = opts.client ?? (await loadClient(config));
    const pending = await PendingWrite.open(path);
    let grant: UserGrant;
    try {
      grant = await client.userGrant({ grant_type: 'refresh_token', refresh_token: current.refreshToken });
    } catch (err) {
      await pending.abort();
      // hh.ru's clock says the token still lives: not due, not an error.
      if (isNotExpiredAnswer(err)) return notDue(current, opts.quiet);
      throw err;
    }
    const record = recordFromGrant(grant, new Date());
    await pending.commit(record);
    const expiresAt = new Date(record.expires_at as string);
    (opts.quiet ? log.debug : log.info)(`refreshed: the new access token expires ${expiresAt.toISOString()} (in ${formatDuration(secondsLeft(expiresAt))})`);
    return { status: 'refreshed', expiresAt };
  });
  // After the lock is released: the hook may take a while, or run hh-oauth itself.
  if (outcome.status === 'refreshed') await hook?.run('refreshed', path, outcome.expiresAt);
  return outcome;
}

// The HTTP stack (ofetch, and undici behind Node's fetch) is loaded only when a request is
// due: most timer runs find the token valid and must not pay for it.
async function loadClient(config: Config): Promise<HhClient> {
  return (await import('../hh/client')).hhClient(config);
}

export function notDue(token: StoredToken, quiet = false): RefreshOutcome {
  (quiet ? log.debug : log.info)(`not due: the access token is valid until ${token.expiresAt.toISOString()} (${formatDuration(secondsLeft(token.expiresAt))} left)`);
  return { status: 'not_due', expiresAt: token.expiresAt };
}

/** Trades a code for a pair and stores it; a damaged old file is moved aside, never lost. */
export async function storeNewGrant(config: Config, form: Record<string, string>): Promise<Date> {
  const path = config.tokenFile();
  const hook = refreshHook(config);
  const expiresAt = await withTokenLock(path, config.seconds('HH_LOCK_TIMEOUT'), async () => {
    let damaged = false;
    await readToken(path).catch((err: unknown) => {
      if (!isCorruptError(err)) throw err;
      damaged = true;
    });
    // Set aside before the code is spent: once hh.ru has answered, only the rename is left.
    const aside = damaged ? await quarantine(path) : undefined;
    let pending: PendingWrite | undefined;
    let grant: UserGrant;
    try {
      pending = await PendingWrite.open(path);
      grant = await (await loadClient(config)).userGrant(form);
    } catch (err) {
      await pending?.abort();
      await aside?.cancel();
      throw err;
    }
    const record = recordFromGrant(grant, new Date());
    await pending.commit(record);
    aside?.announce();
    return new Date(record.expires_at as string);
  });
  await hook?.run('exchanged', path, expiresAt);
  return expiresAt;
}
