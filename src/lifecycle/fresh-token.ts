import type { Config } from '../config/config';
import type { HhClient } from '../hh/client';
import { isDue } from '../token/expiry';
import type { StoredToken } from '../token/read';
import { loadToken, refreshIfDue, type RefreshOutcome } from './refresh';

/**
 * "Refresh if due, then re-read", for every command that uses the stored access token
 * (token, whoami and the other API calls, revoke, doctor): the token file as it is now,
 * and when its access token has expired, refreshed first through the locked path (a
 * no-op when another process has just done it) and read again, because that refresh
 * may have stored a new pair or found one that someone else stored. `force`: hh.ru has
 * just refused the access token as expired, so refresh whatever the file says.
 * Call it at the moment of use: a command that waited (revoke's question) must not act
 * on a pair it read before the wait, which a timer may have replaced meanwhile.
 */
export async function freshToken(config: Config, opts: { client?: HhClient; force?: boolean } = {}): Promise<{ token: StoredToken; refresh?: RefreshOutcome }> {
  if (!opts.force) {
    const token = await loadToken(config);
    if (!isDue(token.expiresAt)) return { token };
  }
  const refresh = await refreshIfDue(config, { client: opts.client, force: opts.force });
  return { token: await loadToken(config), refresh };
}
