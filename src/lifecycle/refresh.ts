import type { Config } from '../config/config';
import { formatDuration, isDue, secondsLeft } from '../token/expiry';
import { reauthorizeError } from '../errors';
import type { HhClient } from '../hh/client';
import { refreshTokenForm } from '../hh/grant-forms';
import { refreshHook } from './hook';
import { isNotExpiredAnswer } from '../hh/reasons';
import { log } from '../output';
import type { StoredToken } from '../token/read';
import { notDue } from './peek';
import { recordFromGrant } from '../token/record';
import { readUserToken, storeOf, userSlot, userToken } from './stores';

/**
 * The token lifecycle that several commands share. hh.ru lets a refresh token be
 * used once, and only after the access token has expired, so a refresh is always:
 * lock, re-read (someone may have refreshed while we waited), spend, write
 * (the store's write protocol: SlotWrite, src/store/store.ts).
 */
export type { RefreshOutcome } from './peek';
import type { RefreshOutcome } from './peek';

export async function loadToken(config: Config): Promise<StoredToken> {
  const token = await readUserToken(config);
  if (!token) throw reauthorizeError(await noTokenMessage(config));
  return token;
}

async function noTokenMessage(config: Config): Promise<string> {
  const store = await storeOf(config);
  const where = store.locate(userSlot(config));
  return store.kind === 'file' ? `no token file at ${where}` : `no token stored for ${where}`;
}

export interface RefreshOptions {
  force?: boolean;
  client?: HhClient;
  /** Outcome lines at debug level: refresh --all writes one summary line instead of one per profile. */
  quiet?: boolean;
}

export async function refreshIfDue(config: Config, opts: RefreshOptions = {}): Promise<RefreshOutcome> {
  const store = await storeOf(config);
  const slot = userSlot(config);
  const path = store.locate(slot);
  const hook = refreshHook(config);
  // Cheap check without the lock: a store's reads never see half a write.
  const first = await loadToken(config);
  if (!opts.force && !isDue(first.expiresAt)) return notDue(first, opts.quiet);

  const outcome = await store.write(slot, config.seconds('HH_LOCK_TIMEOUT'), async (write): Promise<RefreshOutcome> => {
    const current = userToken(store, slot, await write.reread());
    if (!current) throw reauthorizeError(await noTokenMessage(config));
    if (!isDue(current.expiresAt) && (!opts.force || current.refreshToken !== first.refreshToken)) return notDue(current, opts.quiet);

    const client = opts.client ?? (await loadClient(config));
    let record: Record<string, unknown>;
    try {
      record = await write.spend(() => client.userGrant(refreshTokenForm(current.refreshToken)), (grant) => recordFromGrant(grant, new Date()));
    } catch (err) {
      // hh.ru's clock says the token still lives: not due, not an error.
      if (isNotExpiredAnswer(err)) return notDue(current, opts.quiet);
      throw err;
    }
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
// Once per process, so that a worker keeps what it loaded when an upgrade replaces dist/ (http.ts, fetchEngine).
let clientModule: Promise<typeof import('../hh/client')> | undefined;
export function hhClientModule(): Promise<typeof import('../hh/client')> {
  return (clientModule ??= import('../hh/client'));
}

export async function loadClient(config: Config): Promise<HhClient> {
  return (await hhClientModule()).hhClient(config);
}
