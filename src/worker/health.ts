import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { configError, errnoCode, EXIT_CODES, usageError } from '../errors';
import { formatListen, parseListen, type ListenAddress } from '../login/options';
import { CONTENT_TYPE } from '../metrics/exposition';
import { tokenMetricsText } from '../metrics/token-metrics';
import type { Worker } from './loop';
import { dueAt, nextExpiry } from './schedule';

/**
 * The worker's HTTP side: GET /healthz (JSON; 200 while nothing needs a person, 503 before
 * the first read of the store and while a profile waits for a login or a repair) and GET
 * /metrics (Prometheus's text format, src/metrics/). Read-only, no token in either.
 */

/** `--listen`: PORT alone means loopback (127.0.0.1:PORT); HOST:PORT as login's. */
export function parseHealthListen(value: string): ListenAddress {
  if (/^\d+$/.test(value)) {
    const port = Number(value);
    if (port < 1 || port > 65535) throw usageError('--listen port must be between 1 and 65535');
    return { host: '127.0.0.1', port };
  }
  return parseListen(value);
}

/** Failing profiles listed by name in /healthz; the count covers the rest. */
const LISTED = 100;

export function healthDocument(worker: Worker, now = Date.now()): { status: number; body: Record<string, unknown> } {
  const outcomes: Record<string, number> = { refreshed: 0, not_due: 0, skew_retry: 0, failed: 0, none: 0 };
  const needsPerson: Array<Record<string, unknown>> = [];
  let needsPersonTotal = 0;
  let retrying = 0;
  let nextAttempt: number | undefined;
  let last: { profile: string; outcome: string; at: number; code?: string } | undefined;
  for (const p of worker.plans.values()) {
    outcomes[p.last?.outcome ?? 'none']!++;
    if (p.last && (!last || p.last.at > last.at)) last = { profile: p.name, outcome: p.last.outcome, at: p.last.at, code: p.last.code };
    if (p.blockedBy) {
      needsPersonTotal++;
      if (needsPerson.length < LISTED) {
        needsPerson.push({ profile: p.name, exit_class: p.blockedBy, exit_code: EXIT_CODES[p.blockedBy], at: p.last ? new Date(p.last.at).toISOString() : null, ...(p.last?.requestId ? { request_id: p.last.requestId } : {}) });
      }
    } else if (p.retryAt !== undefined && p.retryAt > now) retrying++;
    const at = dueAt(p);
    if (at !== undefined && (nextAttempt === undefined || at < nextAttempt)) nextAttempt = at;
  }
  const expiry = nextExpiry(worker.plans.values());
  const healthy = worker.ready && needsPersonTotal === 0;
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    status: healthy ? 200 : 503,
    body: {
      status: !worker.ready ? 'starting' : needsPersonTotal > 0 ? 'needs_person' : retrying > 0 ? 'retrying' : 'ok',
      ready: worker.ready,
      stopping: worker.stopping,
      profiles: worker.plans.size,
      outcomes,
      last: last ? { profile: last.profile, outcome: last.outcome, at: iso(last.at), ...(last.code ? { exit_class: last.code } : {}) } : null,
      retrying,
      needs_person: needsPerson,
      needs_person_total: needsPersonTotal,
      next_expiry: iso(expiry),
      next_attempt: iso(nextAttempt),
      ...(worker.listingProblem ? { listing_problem: worker.listingProblem } : {}),
      started_at: iso(worker.startedAt),
    },
  };
}

/** valid and expired-refreshable are the same record at two moments: said as of now, not as of the last read. */
function stateNow(state: string, expiresAt: number | undefined, now: number): string {
  if ((state !== 'valid' && state !== 'expired-refreshable') || expiresAt === undefined) return state;
  return now >= expiresAt ? 'expired-refreshable' : 'valid';
}

export function metricsText(worker: Worker, now = Date.now()): string {
  const rows = [...worker.plans.values()].map((p) => ({
    profile: p.name,
    state: stateNow(p.state, p.expiresAt, now),
    expiresAt: p.expiresAt,
    lastRefreshAt: p.lastRefreshAt,
    failures: p.failures,
    needsPerson: p.blockedBy !== undefined,
  }));
  return tokenMetricsText(rows, { worker: true, startedAtMs: worker.startedAt });
}

/**
 * The metrics text built at most once per `ms`, shared by every scrape meanwhile. At 10,000
 * profiles one build holds the event loop that the refreshes share for ~0.6 s, and the
 * port may face a network: a flood of scrapes must not starve a grant's answer past its
 * timeout. Prometheus scrapes every 15 s or more, so figures up to `ms` old change nothing.
 */
export function throttled(ms: number, build: () => string, clock: () => number = Date.now): () => string {
  let last: { at: number; text: string } | undefined;
  return () => {
    const now = clock();
    if (!last || now - last.at >= ms || now < last.at) last = { at: now, text: build() };
    return last.text;
  };
}

/** How old a served /metrics text may be (throttled). */
export const METRICS_MAX_AGE_MS = 5_000;

export interface HealthServer {
  address: string;
  close(): Promise<void>;
}

export async function startHealthServer(worker: Worker, addr: ListenAddress): Promise<HealthServer> {
  const metrics = throttled(METRICS_MAX_AGE_MS, () => metricsText(worker));
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
    } else if (path === '/healthz') {
      const doc = healthDocument(worker);
      res.writeHead(doc.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(`${JSON.stringify(doc.body)}\n`);
    } else if (path === '/metrics') {
      res.writeHead(200, { 'content-type': CONTENT_TYPE, 'cache-control': 'no-store' }).end(metrics());
    } else {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: try /healthz or /metrics\n');
    }
  });
  // A slow or idle scraper must not keep the worker from stopping.
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenError(err, addr)));
    server.listen(addr.port, addr.host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    address: formatListen({ host: addr.host, port: bound.port }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listenError(err: unknown, addr: ListenAddress) {
  const where = formatListen(addr);
  const code = errnoCode(err);
  if (code === 'EADDRINUSE') return configError(`--listen ${where}: the port is in use`, `stop what listens there (ss -ltnp 'sport = :${addr.port}'), or choose another port`);
  if (code === 'EACCES') return configError(`--listen ${where}: permission denied (ports below 1024 need root)`, 'use a port above 1023');
  return configError(`--listen ${where}: cannot listen (${code ?? 'error'})`, 'check the address: it must be one of this host\'s (127.0.0.1, 0.0.0.0, ::)');
}
