import type { Config } from '../config/config';
import { formatDuration, isDue, secondsLeft } from '../token/expiry';
import { HhOauthError } from '../errors';
import type { HhClient } from '../hh/client';
import { describeMe } from '../hh/me';
import { freshToken } from '../lifecycle/fresh-token';
import { stillExpired } from '../lifecycle/api-call';
import { TOKEN_EXPIRED } from '../hh/errors';
import type { StoredToken } from '../token/read';
import { diagnoseNetworkError, diagnosisCode } from '../login/request-failure';
import { printable } from '../output';
import { fail, failFrom, pass, skip, type CheckResult } from './check';

/** Checks that talk to the network: hh.ru's /me, and the public callback URL. */

/**
 * GET /me with the stored token. An expired token is refreshed first through the
 * usual locked path (that is what the next timer run would do anyway), and the
 * message says so; so is one that hh.ru calls expired (oauth/token_expired) while the
 * file says valid: hh.ru's clock decides, one forced refresh, one more GET. With
 * --no-refresh doctor stays read-only and reports either instead.
 */
export async function checkTokenAccepted(config: Config, client: HhClient, stored: StoredToken, allowRefresh: boolean): Promise<CheckResult> {
  let token = stored;
  let note = '';
  if (isDue(token.expiresAt)) {
    if (!allowRefresh) {
      return fail('token-accepted', 'temporary', `the access token expired ${token.expiresAt.toISOString()}; not refreshed (--no-refresh), so /me was not asked`, 'run `hh-oauth refresh` (the expiry timer does it within 10 minutes)');
    }
    let fresh;
    try {
      fresh = await freshToken(config, { client });
    } catch (err) {
      return failFrom('token-accepted', err, 'the access token had expired and refreshing it failed: ');
    }
    token = fresh.token;
    const until = `now valid until ${token.expiresAt.toISOString()}`;
    note = isDue(token.expiresAt)
      ? '; the token looked expired here but hh.ru refused to refresh it yet (is this clock ahead? see clock)'
      : fresh.refresh?.status === 'refreshed'
        ? `; the access token had expired, so doctor refreshed it (${until})`
        : `; the access token had expired, and another process refreshed it meanwhile (${until})`;
  }

  let me: Record<string, unknown>;
  try {
    me = await getMe(client, token);
  } catch (err) {
    if (!(err instanceof HhOauthError) || err.hhReason !== TOKEN_EXPIRED) return failFrom('token-accepted', err, 'GET /me: ');
    // hh.ru's clock decides: the next timer run would not refresh a pair the file calls valid, so doctor does it now.
    const left = isDue(token.expiresAt) ? '' : ` (the token file says it is valid for ${formatDuration(secondsLeft(token.expiresAt))} more: is this clock behind? see clock)`;
    if (!allowRefresh) {
      return fail('token-accepted', 'temporary', `hh.ru says the access token has expired${left}; not refreshed (--no-refresh)`, 'run `hh-oauth refresh --force`: hh.ru\'s clock decides when a token has expired');
    }
    try {
      token = (await freshToken(config, { client, force: true })).token;
      me = await getMe(client, token);
    } catch (again) {
      if (again instanceof HhOauthError && again.hhReason === TOKEN_EXPIRED) return failFrom('token-accepted', stillExpired(again), 'GET /me: ');
      return failFrom('token-accepted', again, `hh.ru said the access token had expired${left}, and after refreshing it: `);
    }
    note += `; hh.ru said the access token had expired${left}, so doctor refreshed it (now valid until ${token.expiresAt.toISOString()})`;
  }
  return pass('token-accepted', `GET /me accepted it: ${describeMe(me)}${note}`);
}

async function getMe(client: HhClient, token: StoredToken): Promise<Record<string, unknown>> {
  const response = await client.api('GET', '/me', token.accessToken);
  return (typeof response.json === 'object' && response.json !== null ? response.json : {}) as Record<string, unknown>;
}

/**
 * A GET of the public HH_REDIRECT_URI: proves DNS, TLS and the proxy in front answer.
 * Any HTTP answer passes (502 is expected: nothing listens behind nginx while
 * `hh-oauth login` is not running). `hh-oauth login --check-only` goes further and
 * checks that the request reaches its listener.
 */
export async function checkCallback(config: Config): Promise<CheckResult> {
  const setting = config.get('HH_REDIRECT_URI');
  let url: URL;
  try {
    url = new URL(setting?.value ?? '');
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
  } catch {
    return skip('callback', 'not checked: HH_REDIRECT_URI is missing or invalid (see configuration)');
  }
  const timeout = Math.min(10, Number(config.get('HH_HTTP_TIMEOUT')?.value) || 10);
  let status: number;
  let location: string | null;
  try {
    const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeout * 1000), headers: { 'User-Agent': 'hh-oauth-doctor' } });
    status = response.status;
    location = response.headers.get('location');
    await response.body?.cancel().catch(() => undefined);
  } catch (err) {
    const d = diagnoseNetworkError(err, url, timeout);
    return fail('callback', diagnosisCode(d), `${url.origin}${url.pathname} is not reachable from here: ${d.detail}`, d.hint);
  }
  const where = `${url.origin}${url.pathname}`;
  // Neither the login listener (303 to its "unknown authorization" page without a state) nor a proxy in front of a stopped one (502) says 404.
  if (status === 404) {
    return fail('callback', 'config', `${where} answers HTTP 404: whatever serves ${url.host} does not forward ${url.pathname}`, `check that the hh-oauth nginx site is enabled for server_name ${url.hostname} and has \`location = ${url.pathname}\` (\`sudo hh-oauth install-units\`)`);
  }
  const note = status === 502 || status === 503 || status === 504
    ? ' from the proxy: DNS, TLS and the proxy work; nothing listens behind it, which is normal while `hh-oauth login` is not running'
    : status >= 300 && status < 400 && location ? ` (redirects to ${printable(location)})` : '';
  return pass('callback', `${where} answers HTTP ${status}${note}`);
}
