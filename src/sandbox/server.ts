import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { managerAccounts, me, revoke } from './api';
import { authorize } from './authorize';
import { applyFault, FaultSlot, validateFault } from './faults';
import { tokenGrant } from './grants';
import { badRequest, badUserAgent, notFound } from './hh-errors';
import { flattenHeaders, isFormUrlEncoded, readBody, sendReply, userAgentVerdict } from './http';
import { RateLimit } from './rate-limit';
import { newRequestId } from './secrets';
import { SandboxState } from './state';
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

/**
 * A loopback hh.ru: the authorization page, the token endpoint (POST /token and the
 * deprecated POST /oauth/token), DELETE /oauth/token, GET /me and GET
 * /manager_accounts/mine, answering as hh.ru documents. Its bodies are held to hh.ru's
 * OpenAPI schemas by test/unit/sandbox/schemas.test.ts.
 *
 * - Personas (`persona`): a user token is an employer's manager by default, with two working
 *   accounts (5000001, primary, and 5000002) and a blocked one (5000009, not listed);
 *   'employer_integration' and 'applicant' are the others. An application token is itself.
 * - X-Manager-Account-Id: a listed account answers as that account; the blocked one gets
 *   403 manager_accounts/used_manager_account_forbidden with allowed_accounts; any other id,
 *   or the header from a token that has no accounts, gets 403
 *   manager_extra_accounts/manager_extra_account_not_found.
 * - Every answer has an X-Request-Id header; errors[] bodies carry the same request_id.
 *   RFC 6749 bodies of the token endpoint carry none, as reported of hh.ru.
 * - User-Agent (or HH-User-Agent, which wins): none gives 400 bad_user_agent/unset; Node's
 *   clients' defaults and the docs' placeholder `MyApp/1.0 (my-app-feedback@example.com)`
 *   give bad_user_agent/blacklisted.
 *
 * Faults (`fault()`, or POST /_sandbox/fault with the same JSON; `path` limits one to a
 * path, `times` to the next N requests). All but 'lost-answer' answer before the request is
 * processed, so they spend nothing:
 * - 'html' {status}, 'rate-limit' {retryAfter}: the anti-DDoS layer's HTML page (no
 *   X-Request-Id: hh.ru never saw the request);
 * - 'truncated-json', 'missing-access-token', 'huge-body' {bytes?}: a broken 200;
 * - 'unknown-error': an RFC error nobody documented (`mystery_error`);
 * - 'reset', 'hang': no answer at all;
 * - 'answer' {status, body?, headers?} sends that answer verbatim, or {documented: name}
 *   one of DOCUMENTED_ERRORS (hh-errors.ts) with a fresh request_id; `headers` adds or
 *   replaces headers, null drops one (e.g. `{'x-request-id': null}`);
 * - 'lost-answer' {then?: 'reset' | 'hang'}: processes the request for real (a refresh
 *   spends its refresh token, an exchange its code), then drops the connection (default) or
 *   leaves it open without a byte: the answer lost in flight;
 * - 'token-expired': any API path answers 403 oauth/token_expired while the token is valid
 *   by the sandbox's clock, and the pair counts as expired from then on, so the refresh that
 *   follows is accepted. (For the bare answer, with the token left valid, use
 *   {kind: 'answer', documented: 'oauth/token_expired'}.)
 */
export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const clients = opts.clients ?? [DEFAULT_CLIENT];
  const store = new SandboxState({
    expiresIn: opts.expiresIn ?? 1209600,
    codeTtl: opts.codeTtl ?? 600,
    appTokenMinInterval: opts.appTokenMinInterval ?? 300,
    clients: new Map(clients.map((c) => [c.clientId, { ...c }])),
    decision: opts.decision ?? 'approve',
    persona: opts.persona ?? 'employer',
    apiUrl: '',
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

    // hh.ru tags every answer; the body's request_id, when there is one, replaces this (sendReply).
    res.setHeader('x-request-id', newRequestId());
    handle(req, res, method, pathname, search, logOnce).catch(() => {
      // A sandbox bug. hh.ru documents a bare 500 ("5xx bodies may not be JSON"), so: no body.
      if (!res.headersSent) sendReply(res, { status: 500 });
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
      sendReply(res, badRequest(413));
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
    if (fault?.kind === 'lost-answer') {
      // The request is answered for real (state and all), and the answer never leaves.
      route(req, method, pathname, search, body.text);
      if (fault.then !== 'hang') req.socket.destroy();
      logOnce(`lost (${fault.then ?? 'reset'})`);
      return;
    }
    if (fault) {
      const outcome = applyFault(fault, req, res, store, Date.now());
      if (outcome === 'reset' || outcome === 'hang') logOnce(outcome);
      return;
    }
    sendReply(res, route(req, method, pathname, search, body.text));
  }

  function route(req: IncomingMessage, method: string, pathname: string, search: string, body: string): Reply {
    const allowed = ROUTES[pathname];
    if (!allowed) return notFound();
    if (!allowed.includes(method)) return { ...badRequest(405), headers: { allow: allowed.join(', ') } };
    const now = Date.now();
    // The authorization page is a browser route: browsers always send their own User-Agent.
    if (pathname === '/oauth/authorize') return authorize(store, new URLSearchParams(search), now);
    const agent = userAgentVerdict(req.headers);
    if (agent !== 'ok') return badUserAgent(agent);

    if (method === 'POST') {
      // A body that is not a form is one hh.ru cannot read: the general bad_request.
      if (!isFormUrlEncoded(req.headers)) return badRequest();
      return tokenGrant(store, new URLSearchParams(body), now);
    }
    if (method === 'DELETE') return revoke(store, req.headers, now);
    if (pathname === '/me') return me(store, req.headers, now);
    return managerAccounts(store, req.headers, now);
  }

  // Test plumbing for other processes; it reports counters only, never a secret.
  function admin(method: string, pathname: string, body: string): Reply {
    if (method === 'GET' && pathname === '/_sandbox/stats') return { status: 200, body: structuredClone(store.stats) };
    if (method !== 'POST') return notFound();
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
    return notFound();
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
  store.config.apiUrl = url;

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
