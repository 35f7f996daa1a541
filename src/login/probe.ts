import { randomBytes } from 'node:crypto';
import { parseRetryAfter } from '../hh/http';
import { VERSION } from '../version';
import { PROBE_PARAM, type Arrival, type CallbackListener } from './listener';
import { formatListen, type ListenAddress } from './options';
import { diagnoseNetworkError, type Diagnosis } from './request-failure';

/**
 * The reachability probe: one GET with a one-time nonce to the public redirect URI,
 * travelling the way hh.ru's redirect will (DNS, TLS, KeenDNS, nginx), and a verdict
 * on whether it reached this listener, with the likely cause when it did not.
 */
export interface ProbeReport {
  redirectUri: string;
  listen: string;
  reached: boolean;
  status?: number;
  arrival?: Arrival;
  diagnosis?: Diagnosis;
  /** Things that work but deserve a look, e.g. no X-Forwarded-Proto behind TLS. */
  warnings: string[];
}

export async function probeReachability(
  listener: CallbackListener,
  redirectUri: string,
  opts: { timeoutSeconds: number },
): Promise<ProbeReport> {
  const listen = formatListen(listener.address);
  const nonce = randomBytes(12).toString('hex');
  listener.armProbe(nonce);
  const target = new URL(redirectUri);
  target.searchParams.set(PROBE_PARAM, nonce);
  const base = { redirectUri, listen, warnings: [] as string[] };

  let response: Response;
  try {
    response = await fetch(target, {
      headers: { 'user-agent': `hh-oauth/${VERSION} (reachability probe)`, accept: 'text/html' },
      redirect: 'follow',
      signal: AbortSignal.timeout(opts.timeoutSeconds * 1000),
    });
  } catch (err) {
    return { ...base, reached: false, diagnosis: diagnoseNetworkError(err, target, opts.timeoutSeconds) };
  }
  await response.body?.cancel().catch(() => undefined);

  const arrival = listener.probeArrival(nonce);
  if (!arrival) {
    const diagnosis = diagnoseResponse(response.status, response.headers.get('server'), target, listener.address, response.headers.get('retry-after'));
    return { ...base, reached: false, status: response.status, diagnosis };
  }
  return { ...base, reached: true, status: response.status, arrival, warnings: arrivalWarnings(target, arrival, response.redirected) };
}

/**
 * The callback's own limit_req in the site install-units renders (nginx/hh-oauth.conf):
 * 6 requests a minute per client address, so one more every 10 s, after a burst of 5 that
 * is whole again a minute after the last refusal. nginx sends no Retry-After with its 429.
 */
const LIMIT_REQ = { everySeconds: 10, perMinute: 6, burst: 5 };

export function diagnoseResponse(status: number, serverHeader: string | null, url: URL, listen: ListenAddress, retryAfter: string | null = null): Diagnosis {
  const server = serverHeader && /^[\x20-\x7e]{1,80}$/.test(serverHeader) ? serverHeader : 'the server';
  const upstream = formatListen(listen);
  const where = `${url.host}${url.pathname}`;
  if (status === 502 || status === 504) {
    return {
      cause: 'upstream',
      detail: `${server} at ${url.host} answered HTTP ${status}: it could not reach its upstream for ${url.pathname} (nothing listens on the port its proxy_pass names${status === 504 ? ', or the upstream does not answer' : ''})`,
      hint: `point the nginx \`location = ${url.pathname}\` at this listener (proxy_pass http://${upstream};, as \`hh-oauth install-units\` renders it), or run login with --listen set to the upstream nginx uses`,
      temporary: false,
    };
  }
  if (status === 404) {
    return {
      cause: 'not-routed',
      detail: `${server} answered HTTP 404 for ${where}: the path is not proxied to hh-oauth`,
      hint: `add \`location = ${url.pathname} { proxy_pass http://${upstream}; }\` to the server block for ${url.hostname} (check server_name too), then \`nginx -t && systemctl reload nginx\``,
      temporary: false,
    };
  }
  if (status === 429) return rateLimited(server, url, where, parseRetryAfter(retryAfter));
  return {
    cause: 'http',
    detail: `${server} answered HTTP ${status} for ${where}, and the request never reached this listener`,
    hint: `another service answers at this address: make ${url.pathname} proxy to http://${upstream}`,
    temporary: status === 429 || status === 503,
  };
}

/**
 * A 429 is the front's rate limit, nginx's own limit_req in the usual setup: running
 * `--check-only` a few times in a row is enough. It is not a setup problem: name the
 * limit and say when to come back.
 */
function rateLimited(server: string, url: URL, where: string, retryAfter: number | undefined): Diagnosis {
  const asked = retryAfter !== undefined && retryAfter <= 3600;
  const why = asked
    ? 'as its Retry-After asks'
    : `the nginx site \`install-units\` renders lets ${LIMIT_REQ.perMinute} requests a minute from one address reach ${url.pathname} ` +
      `(limit_req, burst ${LIMIT_REQ.burst}): one more every ${LIMIT_REQ.everySeconds} s, a full burst again after a minute, which \`hh-oauth login\` (3 requests) needs`;
  return {
    cause: 'rate-limited',
    detail: `${server} answered HTTP 429 for ${where}: its rate limit refused the probe (too many requests from this address in the last minute)`,
    hint: `wait ${asked ? retryAfter : LIMIT_REQ.everySeconds} s and run \`hh-oauth login --check-only\` again; ${why}`,
    temporary: true,
  };
}

function arrivalWarnings(target: URL, arrival: Arrival, redirected: boolean): string[] {
  const warnings: string[] = [];
  if (target.protocol === 'https:' && arrival.forwardedProto !== 'https') {
    warnings.push(
      arrival.forwardedProto === undefined
        ? 'the request arrived without X-Forwarded-Proto: add `proxy_set_header X-Forwarded-Proto https;` to the nginx location'
        : `the request arrived with X-Forwarded-Proto: ${arrival.forwardedProto}, not https`,
    );
  }
  if (redirected) warnings.push('the redirect URI answered with a redirect before reaching the listener; register the final address at dev.hh.ru instead');
  return warnings;
}

/** One line for people: where the probe went and how it arrived. */
export function describeProbe(report: ProbeReport): string {
  if (!report.reached) return `${report.redirectUri} does not reach this listener: ${report.diagnosis!.detail}`;
  const a = report.arrival!;
  const how = a.viaProxy
    ? `through a proxy (X-Forwarded-Proto: ${a.forwardedProto ?? 'not set'}${a.forwardedFor ? `, X-Forwarded-For: ${a.forwardedFor}` : ''})`
    : 'directly, without a proxy';
  return `${report.redirectUri} reaches this listener (${report.listen}) ${how}`;
}

export function probeJson(report: ProbeReport): Record<string, unknown> {
  return {
    reachable: report.reached,
    redirect_uri: report.redirectUri,
    listen: report.listen,
    status: report.status ?? null,
    via_proxy: report.arrival?.viaProxy ?? null,
    forwarded_proto: report.arrival?.forwardedProto ?? null,
    cause: report.diagnosis?.cause ?? null,
    detail: report.diagnosis?.detail ?? null,
    warnings: report.warnings,
  };
}
