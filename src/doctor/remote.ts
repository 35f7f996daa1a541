import type { Config } from '../config/config';
import { formatDuration, isDue, secondsLeft } from '../token/expiry';
import { HhOauthError } from '../errors';
import type { HhClient } from '../hh/client';
import { loadToken, refreshIfDue } from '../lifecycle/refresh';
import type { StoredToken } from '../token/read';
import { fail, failFrom, pass, skip, type CheckResult } from './check';

/** Checks that talk to the network: hh.ru's /me, and the public callback URL. */

/**
 * GET /me with the stored token. An expired token is refreshed first through the
 * usual locked path (that is what the next timer run would do anyway), and the
 * message says so; with --no-refresh doctor stays read-only and reports it instead.
 */
export async function checkTokenAccepted(config: Config, client: HhClient, stored: StoredToken, allowRefresh: boolean): Promise<CheckResult> {
  let token = stored;
  let note = '';
  if (isDue(token.expiresAt)) {
    if (!allowRefresh) {
      return fail('token-accepted', 'temporary', `the access token expired ${token.expiresAt.toISOString()}; not refreshed (--no-refresh), so /me was not asked`, 'run `hh-oauth refresh` (the expiry timer does it within 10 minutes)');
    }
    let outcome;
    try {
      outcome = await refreshIfDue(config, { client });
    } catch (err) {
      return failFrom('token-accepted', err, 'the access token had expired and refreshing it failed: ');
    }
    token = await loadToken(config);
    note = outcome.status === 'refreshed'
      ? `; the access token had expired, so doctor refreshed it (now valid until ${outcome.expiresAt.toISOString()})`
      : '; the token looked expired here but hh.ru refused to refresh it yet (is this clock ahead? see clock)';
  }

  let me: Record<string, unknown>;
  try {
    const response = await client.api('GET', '/me', token.accessToken);
    me = (typeof response.json === 'object' && response.json !== null ? response.json : {}) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof HhOauthError && err.hhErrorDescription === 'token_expired' && !isDue(token.expiresAt)) {
      return fail(
        'token-accepted',
        'reauthorize',
        `hh.ru says the access token has expired, but the token file says it is valid for ${formatDuration(secondsLeft(token.expiresAt))} more (is this clock behind? see clock)`,
        'fix the clock, then `hh-oauth refresh --force`',
      );
    }
    return failFrom('token-accepted', err, 'GET /me: ');
  }
  return pass('token-accepted', `GET /me accepted it: ${describeMe(me)}${note}`);
}

function describeMe(me: Record<string, unknown>): string {
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const name = [str(me.first_name), str(me.last_name)].filter(Boolean).join(' ') || 'application';
  const email = str(me.email) ? ` <${me.email}>` : '';
  return `${name}${email} (${str(me.auth_type) ?? 'unknown auth_type'})`;
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
    const { code, reason, fix } = unreachable(err, url, timeout);
    return fail('callback', code, `${url.origin}${url.pathname} is not reachable from here: ${reason}`, fix);
  }
  const where = `${url.origin}${url.pathname}`;
  // Neither the login listener (400 without a state) nor a proxy in front of a stopped one (502) says 404.
  if (status === 404) {
    return fail('callback', 'config', `${where} answers HTTP 404: whatever serves ${url.host} does not forward ${url.pathname}`, `check that the hh-oauth nginx site is enabled for server_name ${url.hostname} and has \`location = ${url.pathname}\` (\`sudo hh-oauth install-units\`)`);
  }
  const note = status === 502 || status === 503 || status === 504
    ? ' from the proxy: DNS, TLS and the proxy work; nothing listens behind it, which is normal while `hh-oauth login` is not running'
    : status >= 300 && status < 400 && location ? ` (redirects to ${location.slice(0, 200)})` : '';
  return pass('callback', `${where} answers HTTP ${status}${note}`);
}

interface Unreachable {
  code: 'config' | 'temporary';
  reason: string;
  fix: string;
}

function unreachable(err: unknown, url: URL, timeout: number): Unreachable {
  const hairpin = 'if it works from outside, this server just cannot reach its own public name (some routers cannot)';
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return { code: 'temporary', reason: `no answer within ${timeout} s`, fix: `check that a firewall lets HTTP(S) to ${url.host} through; ${hairpin}` };
  }
  let cause: unknown = err;
  while (cause instanceof Error && cause.cause) cause = cause.cause;
  const code = (cause as { code?: string })?.code ?? '';
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return { code: 'config', reason: `DNS: ${url.hostname} does not resolve`, fix: `create the DNS record for ${url.hostname} (or the KeenDNS name), or correct HH_REDIRECT_URI` };
  }
  if (code === 'ECONNREFUSED') {
    return { code: 'config', reason: `nothing accepts connections on ${url.hostname}:${port}`, fix: `start the proxy that serves ${url.host} (\`sudo systemctl start nginx\`) and check its listen port; ${hairpin}` };
  }
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    return { code: 'config', reason: `TLS: ${code}`, fix: `give ${url.hostname} a valid certificate (or let KeenDNS end TLS), or correct HH_REDIRECT_URI` };
  }
  const reason = code || (cause instanceof Error ? cause.message : String(cause));
  return { code: 'temporary', reason, fix: `check the network path to ${url.host}; ${hairpin}` };
}
