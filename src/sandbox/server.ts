import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { apiError, managerAccounts, me, revoke } from './api';
import { authorize } from './authorize';
import { applyFault, FaultSlot, validateFault } from './faults';
import { tokenGrant } from './grants';
import { badUserAgent, flattenHeaders, isFormUrlEncoded, readBody, sendReply, userAgentAccepted } from './http';
import { RateLimit } from './rate-limit';
import { SandboxStore } from './state';
import type { Decision, RecordedRequest, Reply, Sandbox, SandboxClient, SandboxOptions } from './types';

export const DEFAULT_CLIENT: SandboxClient = {
  clientId: 'sandbox-client-id',
  clientSecret: 'sandbox-client-secret',
  redirectUri: 'http://127.0.0.1:8400/callback',
};

/** Which methods each known path answers; anything else on these paths is a 405. */
const ROUTES: Record<string, string[]> = {
  '/oauth/authorize': ['GET'],
  '/token': ['POST'],
  '/oauth/token': ['POST', 'DELETE'],
  '/me': ['GET'],
  '/manager_accounts/mine': ['GET'],
};

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const clients = opts.clients ?? [DEFAULT_CLIENT];
  const store = new SandboxStore({
    expiresIn: opts.expiresIn ?? 1209600,
    codeTtl: opts.codeTtl ?? 600,
    appTokenMinInterval: opts.appTokenMinInterval ?? 300,
    clients: new Map(clients.map((c) => [c.clientId, { ...c }])),
    decision: opts.decision ?? 'approve',
    user: opts.user ?? 'applicant',
  });
  const faults = new FaultSlot();
  const recorded: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const log = opts.log ?? (() => {});
  let rateLimit = opts.rateLimit ? new RateLimit(opts.rateLimit) : undefined;

  const setDecision = (d: Decision): void => {
    store.config.decision = d;
  };

  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const { pathname, search } = parseTarget(req.url);
    let logged = false;
    const logOnce = (outcome: string): void => {
      if (!logged) log(`${method} ${pathname} ${outcome}`);
      logged = true;
    };
    res.on('finish', () => logOnce(String(res.statusCode)));
    res.on('close', () => logOnce(res.writableFinished ? String(res.statusCode) : 'aborted'));

    handle(req, res, method, pathname, search, logOnce).catch(() => {
      if (!res.headersSent) sendReply(res, apiError(500, 'internal_error'));
      else res.destroy();
    });
  });

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    pathname: string,
    search: string,
    logOnce: (outcome: string) => void,
  ): Promise<void> {
    const body = await readBody(req);
    if (!body.ok) {
      res.setHeader('connection', 'close');
      sendReply(res, apiError(413, 'bad_request', 'body_too_large'));
      return;
    }
    if (pathname.startsWith('/_sandbox/')) {
      sendReply(res, admin(method, pathname, body.text));
      return;
    }
    recorded.push({ method, path: pathname, query: search, headers: flattenHeaders(req.headers), body: body.text });

    // hh.ru's edge limits each IP before its API sees the request.
    if (rateLimit?.exceeded(req.socket.remoteAddress ?? '')) {
      store.stats.rateLimited++;
      sendReply(res, rateLimit.reply());
      return;
    }

    const fault = faults.take(pathname);
    if (fault) {
      const outcome = applyFault(fault, req, res, store);
      if (outcome === 'reset' || outcome === 'hang') logOnce(outcome);
      return;
    }
    sendReply(res, route(req, method, pathname, search, body.text));
  }

  function route(req: IncomingMessage, method: string, pathname: string, search: string, body: string): Reply {
    const allowed = ROUTES[pathname];
    if (!allowed) return apiError(404, 'not_found');
    if (!allowed.includes(method)) {
      const reply = apiError(405, 'method_not_allowed');
      return { ...reply, headers: { allow: allowed.join(', ') } };
    }
    const now = Date.now();
    // The authorization page is a browser route: browsers always send their own User-Agent.
    if (pathname === '/oauth/authorize') return authorize(store, new URLSearchParams(search), now);
    if (!userAgentAccepted(req.headers)) return badUserAgent();

    if (method === 'POST') {
      if (!isFormUrlEncoded(req.headers)) {
        return {
          status: 400,
          body: {
            error: 'invalid_request',
            error_description: 'content type must be application/x-www-form-urlencoded',
          },
        };
      }
      return tokenGrant(store, new URLSearchParams(body), now);
    }
    if (method === 'DELETE') return revoke(store, req.headers, now);
    if (pathname === '/me') return me(store, req.headers, now);
    return managerAccounts(store, req.headers, now);
  }

  // Test plumbing for other processes; it reports counters only, never a secret.
  function admin(method: string, pathname: string, body: string): Reply {
    if (method === 'GET' && pathname === '/_sandbox/stats') return { status: 200, body: structuredClone(store.stats) };
    if (method !== 'POST') return apiError(404, 'not_found');
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return { status: 400, body: { error: 'body must be JSON' } };
    }
    if (pathname === '/_sandbox/fault') {
      const fault = validateFault(json);
      if (typeof fault === 'string') return { status: 400, body: { error: fault } };
      faults.set(fault);
      return { status: 200, body: { ok: true } };
    }
    if (pathname === '/_sandbox/decision') {
      const decision = (json as { decision?: unknown } | null)?.decision;
      if (decision !== 'approve' && decision !== 'deny') {
        return { status: 400, body: { error: 'decision must be "approve" or "deny"' } };
      }
      setDecision(decision);
      return { status: 200, body: { ok: true } };
    }
    return apiError(404, 'not_found');
  }

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url,
    env: { HH_AUTHORIZE_URL: `${url}/oauth/authorize`, HH_TOKEN_URL: `${url}/token`, HH_API_URL: url },
    stats: () => structuredClone(store.stats),
    setRateLimit: (perSecond) => {
      rateLimit = perSecond ? new RateLimit(perSecond) : undefined;
    },
    issued: () => store.issued(),
    setDecision,
    fault: (f) => faults.set(f),
    requests: () => recorded.map((r) => ({ ...r, headers: { ...r.headers } })),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Hung and keep-alive sockets would hold close() open indefinitely.
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function parseTarget(target: string | undefined): { pathname: string; search: string } {
  try {
    // Prefixing keeps '//evil/path' a path instead of letting URL read it as a host.
    const url = new URL(`http://sandbox${target?.startsWith('/') ? target : `/${target ?? ''}`}`);
    return { pathname: url.pathname, search: url.search };
  } catch {
    return { pathname: '/', search: '' };
  }
}
