import type { Config } from '../config/config';
import { HhOauthError, hhDetails } from '../errors';
import { type HhClient, hhClient } from '../hh/client';
import { TOKEN_EXPIRED } from '../hh/errors';
import { log } from '../output';
import type { StoredToken } from '../token/read';
import { freshToken } from './fresh-token';

/** GET /me with the stored token; `whoami` and `login` (for its closing summary) use it. */
export async function fetchMe(config: Config): Promise<{ me: Record<string, unknown>; expiresAt: Date }> {
  const { body, expiresAt } = await fetchApi(config, '/me');
  return { me: body, expiresAt };
}

/** An API GET with the stored token (withStoredToken: refreshed when expired, by our clock or by hh.ru's). */
export async function fetchApi(config: Config, path: string): Promise<{ body: Record<string, unknown>; expiresAt: Date }> {
  const client = hhClient(config);
  // X-Manager-Account-Id goes to API calls only, never to the token endpoint; listing
  // the manager accounts needs none.
  const api = path === '/manager_accounts/mine' ? client : hhClient(config, config.apiHeaders());
  const { result: response, token } = await withStoredToken(config, client, (t) => api.api('GET', path, t.accessToken));
  return { body: (response.json ?? {}) as Record<string, unknown>, expiresAt: token.expiresAt };
}

/**
 * Calls hh.ru with the stored access token, refreshed first when the file says it has
 * expired. When hh.ru answers oauth/token_expired, hh.ru is right whatever the file says:
 * one forced refresh (a no-op when another process has just stored a new pair), and one
 * more call with the token stored then. `client` is the one for the token endpoint.
 */
export async function withStoredToken<T>(
  config: Config,
  client: HhClient,
  call: (token: StoredToken) => Promise<T>,
): Promise<{ result: T; token: StoredToken; refreshedForHh: boolean }> {
  let { token } = await freshToken(config, { client });
  try {
    return { result: await call(token), token, refreshedForHh: false };
  } catch (err) {
    if (!(err instanceof HhOauthError) || err.hhReason !== TOKEN_EXPIRED) throw err;
    log.info('hh.ru says the access token has expired: refreshing it once, then trying again');
  }
  ({ token } = await freshToken(config, { client, force: true }));
  try {
    return { result: await call(token), token, refreshedForHh: true };
  } catch (err) {
    if (err instanceof HhOauthError && err.hhReason === TOKEN_EXPIRED) throw stillExpired(err);
    throw err;
  }
}

export function stillExpired(err: HhOauthError): HhOauthError {
  return new HhOauthError('temporary', 'hh.ru still says the access token has expired, after refreshing it once', {
    ...hhDetails(err),
    suggestion: "check this machine's clock (`hh-oauth doctor`), then run again later",
  });
}
