import type { Config } from '../config/config';
import { authorizationCodeForm, type AuthorizationCode } from '../hh/grant-forms';
import { refreshHook } from './hook';
import { loadClient } from './refresh';
import { readToken } from '../token/read';
import { isCorruptError, recordFromGrant } from '../token/record';
import { TokenWrite } from '../token/write';

/**
 * A new pair for an authorization code (exchange, login), stored through the write
 * protocol (token/write.ts). Whatever the file held is replaced; a damaged file is set
 * aside first, never lost. Returns when the new access token expires.
 *
 * `answered`, when given, runs once the code is spent or refused (with the error then),
 * while the protocol still holds the stop signals: what the caller records about the
 * code (exchange forgets its pending authorization) is done, and an error on its way up
 * is reported, before a signal that arrived during the grant ends the run.
 */
export async function storeNewGrant(config: Config, code: AuthorizationCode, answered?: (error?: unknown) => Promise<void>): Promise<Date> {
  const path = config.tokenFile();
  const hook = refreshHook(config);
  const expiresAt = await TokenWrite.run(path, config.seconds('HH_LOCK_TIMEOUT'), async (write) => {
    let damaged = false;
    await readToken(path).catch((err: unknown) => {
      if (!isCorruptError(err)) throw err;
      damaged = true;
    });
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
