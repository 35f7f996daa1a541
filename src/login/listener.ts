import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { configError, errnoCode } from '../errors';
import { formatListen, type ListenAddress } from './options';
import { outcomePage, pages, renderPage, SECURITY_HEADERS, type Outcome, type Page } from './pages';

/**
 * The short-lived HTTP listener behind HH_REDIRECT_URI. It sits behind a public
 * URL, so it answers one thing (GET on the callback path), keeps every limit tight,
 * and hands the first callback with the right state to the login command exactly once.
 *
 * A browser that brought a callback (`?code=…&state=…`) is never answered at that address:
 * it is sent on (303) to `?hh_oauth=OUTCOME` on the same path, and the page is shown there.
 * The redirect replaces the callback's entry in the browser's history, so the code leaves
 * the address bar, the history and synced tabs. The outcome address carries nothing secret
 * and exchanges nothing, however often it is opened. The login's own outcome is shown only
 * to the browser it was sent to, which the 303 gives a cookie (VIEWER_COOKIE): anyone may
 * ask for the address, and neither learns how the login went nor ends its wait.
 *
 * The way in is the start link, `?hh_oauth_start=NONCE` on the callback path: what `login`
 * prints and hands the browser opener. A command line is public on Linux (/proc/PID/cmdline),
 * so the link carries no state. Its first fetch gives that browser a cookie (LOGIN_COOKIE)
 * and sends it on to hh.ru with the state; a callback counts only from a browser with the
 * cookie; a second fetch means someone else has the link too, and stops the login before any
 * code is exchanged (with Limits.startGraceMs, even if they were the first to fetch it).
 */

/** How a request reached us: directly, or through a proxy that set X-Forwarded-*. */
export interface Arrival {
  remote: string;
  viaProxy: boolean;
  forwardedProto?: string;
  forwardedFor?: string;
  forwardedHost?: string;
}

export type Callback =
  | { kind: 'code'; code: string; arrival: Arrival }
  /** The start link was fetched a second time, before any code was handed over: the login must stop. */
  | { kind: 'reopened'; arrival: Arrival }
  /** `error` is hh.ru's error name when it looks like one, else "unrecognised". */
  | { kind: 'error'; error: string; arrival: Arrival };

export interface Limits {
  /** Whole request (line + headers) must arrive within this; slower clients get 408 and are dropped. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** A connection that sends nothing for this long is dropped (not while its callback is being completed). */
  idleTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxHeaderBytes: number;
  maxUrlBytes: number;
  /**
   * Open connections at most. A connection over the cap pushes out the oldest one that
   * has no complete request (see makeRoom), so slow clients cannot keep the callback out.
   */
  maxConnections: number;
  /** How long the login waits, once finished, for the browser to fetch its outcome page before closing. */
  outcomeWaitMs: number;
  /**
   * A callback is handed over no sooner than this after the start link's first fetch. When
   * the link was on a command line, a local user may fetch it before the operator's browser
   * and answer at once with a code of their own; the browser's own fetch, which comes within
   * seconds, then stops the login before that code is exchanged. 0 when only the operator saw the link.
   */
  startGraceMs: number;
}

/**
 * A browser, or nginx in front of us, sends the request line and headers in one go right
 * after connecting, and a callback is a GET without a body: seconds are generous. Only a
 * client that trickles bytes on purpose needs longer, and it is the one to cut off.
 */
export const DEFAULT_LIMITS: Limits = {
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 5_000,
  idleTimeoutMs: 5_000,
  keepAliveTimeoutMs: 2_000,
  maxHeaderBytes: 8 * 1024,
  maxUrlBytes: 4 * 1024,
  maxConnections: 64,
  // A browser follows a 303 at once; this only bounds a client that never does (curl).
  outcomeWaitMs: 5_000,
  startGraceMs: 0,
};

export interface ListenerOptions extends ListenAddress {
  /** The pathname of HH_REDIRECT_URI. */
  path: string;
  state: string;
  /** hh.ru's authorization URL, with the state: where the start link's first fetch sends the browser. None: no start link (--check-only). */
  authorizeUrl?: string;
  /** How long the start link's cookie lives: the login's --timeout. */
  loginCookieMaxAgeS?: number;
  /** HH_REDIRECT_URI is https: the browser sees TLS (ended before nginx), so the cookies can be Secure. */
  secureCookies?: boolean;
  limits?: Partial<Limits>;
  /** Told about every refused request, in words safe to log (no query values). */
  onRefused?: (reason: string, arrival: Arrival) => void;
  /** The start link was fetched (the first time). */
  onStarted?: (arrival: Arrival) => void;
  /** The start link was fetched again after a callback had been handed over: too late to stop, worth a loud warning. */
  onReopenedLate?: (arrival: Arrival) => void;
}

export interface CallbackListener {
  readonly address: ListenAddress;
  /** Settles once, with the first callback carrying the right state. */
  readonly callback: Promise<Callback>;
  /** The start link's query (`hh_oauth_start=NONCE`), to be put on HH_REDIRECT_URI: it holds no state. */
  readonly startQuery: string;
  /** Sets Limits.startGraceMs: before the link goes onto a command line, and back to 0 if it did not. */
  holdCallbacksAfterStart(ms: number): void;
  /** Expects one probe request carrying this nonce (see probe.ts). */
  armProbe(nonce: string): void;
  probeArrival(nonce: string): Arrival | undefined;
  /** Sends the browser that brought the callback on to this outcome's page; every later callback is refused. */
  finish(outcome: Outcome): Promise<void>;
  /** Resolves once the browser sent on by finish() has fetched its page, or after Limits.outcomeWaitMs. */
  outcomeShown(): Promise<void>;
  /** Stops listening and drops every connection. Idempotent. */
  close(): Promise<void>;
  /** How many callbacks were refused for a wrong or missing state. */
  refusedStates(): number;
  /** How many callbacks had the right state but came from a browser without the start link's cookie. */
  refusedBrowsers(): number;
}

export const PROBE_PARAM = 'hh_oauth_probe';
/** The start link's parameter: /callback?hh_oauth_start=NONCE. */
export const START_PARAM = 'hh_oauth_start';
/** The one parameter of an outcome page's address: /callback?hh_oauth=stored. */
export const OUTCOME_PARAM = 'hh_oauth';
/** Set by the 303 that sends the callback's browser to the login's outcome, and asked for there. */
const VIEWER_COOKIE = 'hh_oauth';
/** Set by the start link's first fetch; a callback is taken only from the browser that has it. */
const LOGIN_COOKIE = 'hh_oauth_login';
const CODE = /^[A-Za-z0-9._~+/=-]{1,1024}$/;
const HH_ERROR = /^[a-z_]{1,64}$/;

export async function startCallbackListener(opts: ListenerOptions): Promise<CallbackListener> {
  // A Location of `//host/…` is another host's address: refuse such a path before anything is listening.
  if (!opts.path.startsWith('/') || opts.path.startsWith('//') || opts.path.includes('\\')) {
    throw configError(
      `the path of HH_REDIRECT_URI must start with a single "/" (it starts with "${opts.path.slice(0, 2).replace(/[^\x21-\x7e]/g, '?')}"): a browser would read the listener's redirect to it as another host's address`,
      'use a path such as /callback in HH_REDIRECT_URI, and register the same URI at dev.hh.ru',
    );
  }
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const expectedState = Buffer.from(opts.state);
  const startNonce = randomBytes(16).toString('hex');
  /** What the start link's browser gets in LOGIN_COOKIE. */
  const loginBrowser = randomBytes(16).toString('hex');
  let startedAt: number | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  /** Whether a callback has gone to the login command (after which nothing can stop it). */
  let handedOver = false;
  /** Whether what was handed over is the second opening of the start link (the login is stopping). */
  let stopped = false;
  let otherBrowsers = 0;
  const probes = new Map<string, Arrival | null>();
  let phase: 'waiting' | 'completing' | 'done' = 'waiting';
  let held: ServerResponse | undefined;
  let wrongStates = 0;
  /** The login's outcome, once its browser was sent on to it. */
  let outcome: Outcome | undefined;
  /** What the callback's browser gets in VIEWER_COOKIE: random, and good for nothing but its outcome page. */
  const viewer = randomBytes(16).toString('hex');
  let shown!: () => void;
  const outcomeFetched = new Promise<void>((resolve) => (shown = resolve));
  let resolveCallback!: (c: Callback) => void;
  const callback = new Promise<Callback>((resolve) => (resolveCallback = resolve));
  const deliver = (c: Callback) => {
    if (handedOver) return;
    handedOver = true;
    clearTimeout(graceTimer);
    resolveCallback(c);
  };
  /** Hands a callback over, but no sooner than startGraceMs after the start link's first fetch. */
  const deliverAfterGrace = (c: Callback) => {
    const wait = (startedAt ?? 0) + limits.startGraceMs - Date.now();
    if (wait <= 0) return deliver(c);
    graceTimer = setTimeout(() => deliver(c), wait);
  };

  const server = createServer({
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the two timeouts above only this often (30 s by default).
    connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
  });
  // Not server.maxConnections: it refuses the newest connection, which is the browser's.
  server.maxRequestsPerSocket = 16;

  /** Open connections, oldest first, each with whether a complete request is being answered on it. */
  const sockets = new Map<Socket, { busy: boolean }>();
  server.on('connection', (socket) => {
    sockets.set(socket, { busy: false });
    socket.on('close', () => sockets.delete(socket));
    socket.setTimeout(limits.idleTimeoutMs, () => socket.destroy());
    if (sockets.size > limits.maxConnections) makeRoom(sockets, socket);
  });
  server.on('clientError', (err, socket) => {
    // Node's parser refused the request (oversized headers, timeout, garbage): answer briefly, drop.
    if (!socket.writable) return socket.destroy();
    const status = errnoCode(err) === 'HPE_HEADER_OVERFLOW' ? 431 : errnoCode(err) === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const reason = status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const slot = sockets.get(req.socket);
    if (slot) {
      slot.busy = true;
      res.once('close', () => (slot.busy = false));
    }
    const arrival = arrivalOf(req);
    const refuse = (page: Page, reason: string) => {
      opts.onRefused?.(reason, arrival);
      send(res, page);
    };
    /** Refuses a callback, which may hold a live code: its page is shown at a clean address. */
    const refuseTo = (to: Outcome, reason: string) => {
      opts.onRefused?.(reason, arrival);
      redirect(res, opts.path, to);
    };
    const target = req.url ?? '';
    if (Buffer.byteLength(target) > limits.maxUrlBytes) return refuse(pages.uriTooLong(), 'an over-long address');
    if (!target.startsWith('/')) return refuse(pages.badRequest(), 'a malformed request target');
    let url: URL;
    try {
      url = new URL(`http://listener${target}`);
    } catch {
      return refuse(pages.badRequest(), 'a malformed request target');
    }
    if (url.pathname !== opts.path) return refuse(pages.notFound(), `${safeMethod(req.method)} on another path`);
    if (req.method !== 'GET') return refuse(pages.methodNotAllowed(), `${safeMethod(req.method)} on the callback path`);
    if (hasBody(req)) return refuse(pages.tooLarge(), 'a GET with a body');

    const params = url.searchParams;
    const single = (name: string): string | undefined | null => {
      const values = params.getAll(name);
      return values.length > 1 ? null : values[0];
    };

    const nonce = single(PROBE_PARAM);
    if (nonce !== undefined) {
      if (nonce === null || !probes.has(nonce) || probes.get(nonce) !== null) return refuse(pages.badRequest(), 'an unexpected probe');
      probes.set(nonce, arrival);
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'x-hh-oauth-probe': 'received' });
      res.end('hh-oauth login: probe received\n');
      return;
    }

    const start = single(START_PARAM);
    if (start !== undefined) {
      if (opts.authorizeUrl === undefined || start === null || !sameSecret(start, Buffer.from(startNonce))) {
        return refuse(pages.notFound(), "a start link that is not this login's");
      }
      if (startedAt === undefined) {
        startedAt = Date.now();
        opts.onStarted?.(arrival);
        res.writeHead(303, {
          ...SECURITY_HEADERS,
          location: opts.authorizeUrl,
          'set-cookie': scopedCookie(LOGIN_COOKIE, loginBrowser, opts.path, opts.loginCookieMaxAgeS ?? 3600, opts.secureCookies),
          'content-length': '0',
        });
        return res.end();
      }
      // Opened twice: two browsers have the link. Stop, unless a code is already being exchanged.
      // Answered here, not by a 303: the login may close before a redirect is followed, and the link is dead anyway.
      if (handedOver) {
        if (!stopped) opts.onReopenedLate?.(arrival);
        return send(res, stopped ? pages.reopened() : pages.finished());
      }
      stopped = true;
      phase = 'completing';
      deliver({ kind: 'reopened', arrival });
      return send(res, pages.reopened());
    }

    // Before the callback checks: an outcome address exchanges nothing, whatever else it carries.
    const shownOutcome = single(OUTCOME_PARAM);
    if (shownOutcome !== undefined) {
      const theirs = shownOutcome === outcome && hasCookie(req, VIEWER_COOKIE, viewer);
      const page = shownOutcome === null ? undefined : outcomePage(shownOutcome, theirs ? outcome : undefined);
      if (!page) return refuse(pages.notFound(), "an outcome page that is not this login's");
      send(res, page);
      if (theirs) shown();
      return;
    }

    if (phase === 'completing') return refuseTo('busy', 'a callback while the first one is being completed');
    if (phase === 'done') return refuseTo('finished', 'a callback after the login finished');

    const state = single('state');
    if (typeof state !== 'string' || !sameSecret(state, expectedState)) {
      wrongStates++;
      return refuseTo('unknown', `a callback with a ${state === undefined ? 'missing' : 'wrong'} state`);
    }
    // The state alone is not enough: whoever fetched the start link first holds the cookie.
    if (startedAt === undefined || !hasCookie(req, LOGIN_COOKIE, loginBrowser)) {
      otherBrowsers++;
      return refuseTo('other-browser', "a callback with the right state from a browser that did not open this login's link (no cookie)");
    }
    const code = single('code');
    const error = single('error');
    if (code === null || error === null) return refuseTo('malformed', 'a callback with repeated parameters');
    if (error === undefined && (code === undefined || !CODE.test(code))) return refuseTo('malformed', 'a callback without a well-formed code');
    phase = 'completing';
    held = res;
    // The browser waits while we talk to hh.ru (and through the grace): no idle cut-off for this one.
    req.socket.setTimeout(0);
    deliverAfterGrace(
      error !== undefined ? { kind: 'error', error: HH_ERROR.test(error) ? error : 'unrecognised', arrival } : { kind: 'code', code: code!, arrival },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenError(err, opts)));
    server.listen({ host: opts.host, port: opts.port, exclusive: true }, () => resolve());
  });
  const bound = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    address: { host: opts.host, port: bound.port },
    callback,
    startQuery: `${START_PARAM}=${startNonce}`,
    holdCallbacksAfterStart: (ms) => void (limits.startGraceMs = ms),
    refusedBrowsers: () => otherBrowsers,
    armProbe: (nonce) => void probes.set(nonce, null),
    probeArrival: (nonce) => probes.get(nonce) ?? undefined,
    refusedStates: () => wrongStates,
    finish(to) {
      phase = 'done';
      const res = held;
      held = undefined;
      if (!res || res.writableEnded || res.destroyed) return Promise.resolve();
      outcome = to;
      return new Promise<void>((resolve) => {
        res.once('finish', resolve);
        res.once('close', resolve);
        redirect(res, opts.path, to, { connection: 'close', 'set-cookie': scopedCookie(VIEWER_COOKIE, viewer, opts.path, 300, opts.secureCookies) });
      });
    },
    outcomeShown() {
      if (outcome === undefined) return Promise.resolve();
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, limits.outcomeWaitMs)));
      return Promise.race([outcomeFetched, waited]).finally(() => clearTimeout(timer));
    },
    close() {
      phase = 'done';
      clearTimeout(graceTimer);
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets.keys()) socket.destroy();
      });
      return closing;
    },
  };
}

/**
 * Over the cap: drop the oldest connection that has no complete request (still sending
 * its headers, or idle between requests), or else the newcomer. A real callback is
 * complete a moment after it connects, so it is busy long before it would be the oldest.
 */
function makeRoom(sockets: Map<Socket, { busy: boolean }>, newcomer: Socket): void {
  for (const [socket, slot] of sockets) {
    if (socket !== newcomer && !slot.busy) {
      sockets.delete(socket);
      socket.destroy();
      return;
    }
  }
  sockets.delete(newcomer);
  newcomer.destroy();
}

function send(res: ServerResponse, page: Page): void {
  const body = renderPage(page);
  res.writeHead(page.status, {
    ...SECURITY_HEADERS,
    ...page.headers,
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}

/** 303 to the outcome's page on the callback path: the browser asks again with GET, without hh.ru's query. */
function redirect(res: ServerResponse, path: string, to: Outcome, headers: Record<string, string> = {}): void {
  res.writeHead(303, { ...SECURITY_HEADERS, ...headers, location: `${path}?${OUTCOME_PARAM}=${to}`, 'content-length': '0' });
  res.end();
}

/**
 * Scoped to the callback path (not the bot's site beside it) when the path can be written
 * in the attribute. Lax: the browser comes back from hh.ru, another site, by a top-level
 * GET, on which Lax cookies are sent (Strict ones are not); a page elsewhere cannot read it.
 */
function scopedCookie(name: string, value: string, path: string, maxAgeS: number, secure = false): string {
  const scope = /^\/[\x21-\x7e]*$/.test(path) && !/[;,]/.test(path) ? `; Path=${path}` : '';
  return `${name}=${value}${scope}; Max-Age=${Math.ceil(maxAgeS)}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

function hasCookie(req: IncomingMessage, name: string, value: string): boolean {
  const expected = Buffer.from(`${name}=${value}`);
  return (req.headers.cookie ?? '').split(';').some((pair) => {
    const given = Buffer.from(pair.trim());
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

function sameSecret(given: string, expected: Buffer): boolean {
  const bytes = Buffer.from(given);
  return bytes.length === expected.length && timingSafeEqual(bytes, expected);
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

function safeMethod(method: string | undefined): string {
  return method && /^[A-Z]{1,12}$/.test(method) ? method : 'a request';
}

/** Header values from the internet, reduced to what is safe to print. */
function headerToken(value: string | string[] | undefined, pattern: RegExp): string | undefined {
  const text = Array.isArray(value) ? value.join(', ') : value;
  if (text === undefined) return undefined;
  const trimmed = text.trim().slice(0, 200);
  return pattern.test(trimmed) ? trimmed : '(unprintable)';
}

function arrivalOf(req: IncomingMessage): Arrival {
  const h = req.headers;
  const forwardedProto = headerToken(h['x-forwarded-proto'], /^[A-Za-z][A-Za-z0-9+.-]*(, ?[A-Za-z][A-Za-z0-9+.-]*)*$/)?.toLowerCase();
  const forwardedFor = headerToken(h['x-forwarded-for'] ?? h['x-real-ip'], /^[0-9A-Fa-f:., [\]]+$/);
  const forwardedHost = headerToken(h['x-forwarded-host'], /^[A-Za-z0-9.:[\]-]+$/);
  return {
    remote: req.socket.remoteAddress ?? 'unknown',
    viaProxy: forwardedProto !== undefined || forwardedFor !== undefined || forwardedHost !== undefined,
    ...(forwardedProto !== undefined && { forwardedProto }),
    ...(forwardedFor !== undefined && { forwardedFor }),
    ...(forwardedHost !== undefined && { forwardedHost }),
  };
}

function listenError(err: unknown, addr: ListenAddress) {
  const where = formatListen(addr);
  const code = errnoCode(err);
  const alt = 'or pass --listen HOST:PORT and point the nginx /callback upstream at it';
  if (code === 'EADDRINUSE') {
    return configError(
      `cannot listen on ${where}: the port is in use (another \`hh-oauth login\`, or the old test server?)`,
      `stop what listens there (see \`ss -ltnp 'sport = :${addr.port}'\`), ${alt}`,
    );
  }
  if (code === 'EACCES') return configError(`cannot listen on ${where}: permission denied (ports below 1024 need root)`, `use a port above 1023, ${alt}`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return configError(`cannot listen on ${where}: this machine has no such address`, `use 127.0.0.1 (behind nginx) ${alt}`);
  }
  return configError(`cannot listen on ${where} (${code ?? (err as Error).message})`, `check --listen, ${alt}`);
}
