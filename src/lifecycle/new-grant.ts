import type { Config } from '../config/config';
import { authorizationCodeForm, type AuthorizationCode } from '../hh/grant-forms';
import { refreshHook } from './hook';
import { loadClient } from './refresh';
import { isCorruptError, recordFromGrant } from '../token/record';
import { storeOf, userSlot, userToken } from './stores';

/**
 * A new pair for an authorization code (exchange, login), stored through the store's
 * write protocol (SlotWrite). Whatever the slot held is replaced; damaged content is set
 * aside first, never lost; a slot `store copy` moved elsewhere is refused (exit 3). Returns when the new access token expires.
 *
 * `answered`, when given, runs once the code is spent or refused (with the error then),
 * while the protocol still holds the stop signals: what the caller records about the
 * code (exchange forgets its pending authorization) is done, and an error on its way up
 * is reported, before a signal that arrived during the grant ends the run.
 */
export async function storeNewGrant(config: Config, code: AuthorizationCode, answered?: (error?: unknown) => Promise<void>): Promise<Date> {
  const store = await storeOf(config);
  const slot = userSlot(config);
  const path = store.locate(slot);
  const hook = refreshHook(config);
  const expiresAt = await store.write(slot, config.seconds('HH_LOCK_TIMEOUT'), async (write) => {
    let damaged = false;
    try {
      userToken(store, slot, await write.reread());
    } catch (err) {
      if (!isCorruptError(err)) throw err;
      damaged = true;
    }
    if (damaged) await write.setAside();
    const client = await loadClient(config);
    let record: Record<string, unknown>;
    try {
      record = await write.spend(() => client.userGrant(authorizationCodeForm(code)), (grant) => recordFromGrant(grant, new Date()));
    } catch (err) {
      await answered?.(err);
      throw err;
    }
    await answered?.();
    return new Date(record.expires_at as string);
  });
  await hook?.run('exchanged', path, expiresAt);
  return expiresAt;
}
