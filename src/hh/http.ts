import { HhOauthError } from '../errors';
import { log } from '../output';
import { paced } from './pace';
import { requestIdOf } from './errors';

/**
 * The one HTTP client. It owns what every hh.ru call needs: both User-Agent
 * headers, the process's pace (pace.ts), a timeout per attempt (covering the body
 * too), a size cap, and bounded retries for the failures hh.ru documents as transient
 * (network, 5xx, 429, the anti-DDoS HTML page). Everything else is returned for the
 * caller to interpret. The engine underneath (fetch-engine.ts) is node:http, not
 * Node's fetch.
 */
export interface HttpSettings {
  userAgent: string;
  timeoutSeconds: number;
  retries: number;
  headers?: Record<string, string>;
  /** HH_RATE_LIMIT: requests per second for the whole process; 0 or unset, unpaced. */
  ratePerSecond?: number;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  form?: Record<string, string>;
  bearer?: string;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body when it was JSON, else undefined. */
  json: unknown;
  /**
   * Set when an earlier attempt of this request failed after it may have reached hh.ru (a
   * timeout, a reset, a 5xx): how it failed. hh.ru may have acted on it (spent the refresh
   * token), so a refusal of the retry may be that first attempt's doing (hh/errors.ts).
   */
  lostAttempt?: string;
}

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_RETRY_AFTER_SECONDS = 60;

export async function httpRequest(req: HttpRequest, settings: HttpSettings): Promise<HttpResponse> {
  const attempts = 1 + Math.max(0, Math.floor(settings.retries));
  let lostAttempt: string | undefined;
  for (let attempt = 1; ; attempt++) {
    // Every attempt is a request hh.ru counts; waiting for its turn is not part of its timeout.
    await paced(settings.ratePerSecond ?? 0);
    const outcome = await attemptOnce(req, settings);
    if (!('retry' in outcome)) return lostAttempt ? { ...outcome, lostAttempt } : outcome;
    const { error, retryAfter, mayHaveArrived } = outcome.retry;
    if (mayHaveArrived) lostAttempt ??= error.message;
    if (attempt >= attempts) throw error;
    if (retryAfter !== undefined && retryAfter > MAX_RETRY_AFTER_SECONDS) {
      throw new HhOauthError('temporary', `${error.message}; hh.ru asks to wait ${retryAfter} s`, { suggestion: error.suggestion, requestId: error.requestId });
    }
    const wait = retryAfter ?? Math.min(2 ** (attempt - 1), 8) * (0.5 + Math.random() / 2);
    log.warn(`${error.message}; retrying in ${wait.toFixed(1)} s (attempt ${attempt + 1} of ${attempts})`);
    await new Promise((r) => setTimeout(r, wait * 1000));
  }
}

type Outcome = HttpResponse | { retry: { error: HhOauthError; retryAfter?: number; mayHaveArrived?: boolean } };

/** Network errors that mean the request never left: hh.ru cannot have acted on it. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

let engine: Promise<typeof import('./fetch-engine')> | undefined;
/**
 * Loaded on the first request, not at start-up: most runs of the hot commands make none.
 * Once per process: a long-running worker must not resolve it again after an upgrade has
 * replaced dist/'s chunks (Node's resolver looks for the file on every import()).
 */
export function fetchEngine(): Promise<typeof import('./fetch-engine')> {
  return (engine ??= import('./fetch-engine'));
}

async function attemptOnce(req: HttpRequest, settings: HttpSettings): Promise<Outcome> {
  const { client } = await fetchEngine();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), settings.timeoutSeconds * 1000);
  const started = Date.now();
  const target = describe(req);
  try {
    const response = await client.raw(req.url, {
      method: req.method,
      headers: buildHeaders(req, settings),
      body: req.form ? new URLSearchParams(req.form).toString() : undefined,
      retry: 0,
      redirect: 'manual',
      responseType: 'stream',
      ignoreResponseError: true,
      signal: controller.signal,
    });
    const text = await readCapped(response.body as unknown as AsyncIterable<Uint8Array> | null, MAX_BODY_BYTES, () => controller.abort());
    log.debug(`${target} → ${response.status} (${Date.now() - started} ms)`);
    return classify(target, response.status, response.headers, text);
  } catch (err) {
    if (err instanceof HhOauthError) throw err;
    const reason = controller.signal.aborted
      ? `no answer within ${settings.timeoutSeconds} s`
      : networkReason(err);
    const mayHaveArrived = controller.signal.aborted || !NEVER_SENT.has(reason.split(' ')[0]!);
    return { retry: { error: temporary(`${target} failed: ${reason}`), mayHaveArrived } };
  } finally {
    clearTimeout(timer);
  }
}

function buildHeaders(req: HttpRequest, settings: HttpSettings): Record<string, string> {
  const headers: Record<string, string> = {
    'User-Agent': settings.userAgent,
    'HH-User-Agent': settings.userAgent,
    Accept: 'application/json',
    ...settings.headers,
  };
  if (req.form) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  if (req.bearer) headers.Authorization = `Bearer ${req.bearer}`;
  return headers;
}

function classify(target: string, status: number, headers: Headers, text: string): Outcome {
  const html = /text\/html/i.test(headers.get('content-type') ?? '') || /^\s*</.test(text);
  const retryAfter = parseRetryAfter(headers.get('retry-after'));
  let json: unknown;
  try {
    json = text === '' || html ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  const requestId = requestIdOf(json, headers);
  if (status === 429) return { retry: { error: temporary(`${target}: hh.ru is rate-limiting (HTTP 429)`, requestId), retryAfter } };
  // A 5xx may come after hh.ru acted on the request (a gateway timing out behind it).
  if (status >= 500) return { retry: { error: temporary(`${target}: hh.ru answered HTTP ${status}`, requestId), retryAfter, mayHaveArrived: true } };
  if (html && (status < 200 || status >= 300)) {
    return { retry: { error: temporary(`${target}: hh.ru answered an HTML page with HTTP ${status} (its anti-DDoS layer or an outage)`, requestId), retryAfter } };
  }
  return { status, headers, text, json };
}

function temporary(message: string, requestId?: string): HhOauthError {
  return new HhOauthError('temporary', message, {
    requestId,
    suggestion: 'this is temporary: run again later (under systemd the service retries by itself)',
  });
}

export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** The body, up to `limit` bytes: past that, the connection is dropped (`stop`) rather than drained. */
async function readCapped(body: AsyncIterable<Uint8Array> | null, limit: number, stop: () => void): Promise<string> {
  if (!body) return '';
  if (isNodeStream(body)) return readStream(body, limit, stop);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > limit) {
      stop();
      throw tooLarge(limit);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

type NodeStream = AsyncIterable<Uint8Array> & NodeJS.EventEmitter;
const isNodeStream = (body: AsyncIterable<Uint8Array>): body is NodeStream => typeof (body as Partial<NodeStream>).on === 'function';

/**
 * readCapped for Node's stream of the answer (fetch-engine.ts), by its events: a stream's
 * async iterator cost a due refresh 2–3 ms of set-up on its first use. As the iterator does,
 * an error is thrown, and so is a close before the end (a cut body is never a short answer).
 */
function readStream(body: NodeStream, limit: number, stop: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
    };
    body.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.byteLength;
      if (size > limit) {
        stop();
        return settle(() => reject(tooLarge(limit)));
      }
      chunks.push(chunk);
    });
    body.once('end', () => settle(() => resolve(Buffer.concat(chunks).toString('utf8'))));
    body.once('error', (err) => settle(() => reject(err)));
    body.once('close', () => settle(() => reject(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }))));
  });
}

function tooLarge(limit: number): HhOauthError {
  return new HhOauthError('temporary', `the answer was larger than ${limit / 1024} KiB; refusing to read it`, {
    suggestion: 'check that HH_TOKEN_URL / HH_API_URL point at hh.ru, not at another service',
  });
}

function networkReason(err: unknown): string {
  let cause: unknown = err;
  while (cause instanceof Error && cause.cause) cause = cause.cause;
  const code = (cause as { code?: string })?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return code ? `${code} (${message})` : message;
}

/** "POST api.hh.ru/token": enough to say where, never a query string. */
function describe(req: HttpRequest): string {
  try {
    const url = new URL(req.url);
    return `${req.method} ${url.host}${url.pathname}`;
  } catch {
    return req.method;
  }
}
