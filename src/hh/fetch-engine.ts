import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { createFetch } from 'ofetch';

/**
 * The fetch that ofetch runs on (createFetch): node:http, and node:https for an https: URL,
 * instead of Node's built-in fetch, whose engine (undici) cost a due `refresh` more to load
 * than all its other work. Measured against the libraries that do the same
 * (bench/http-engines.md): minipass-fetch and node-fetch load streams, zlib and their own
 * Body, Request and Response classes, and cost a due refresh about 10 ms more than this,
 * a sixth of the whole node:http reference (bench/ref-refresh-http.mjs).
 *
 * So it implements only what ofetch and http.ts use: a method, headers, a string body and
 * an AbortSignal in; a status, headers readable by name, and the body as Node's stream of
 * bytes out. Everything else is Node's: chunked and sized bodies, a body cut short (an
 * error, never a short answer), TLS. Redirects are not followed (http.ts wants them
 * unfollowed); answers are asked for uncompressed (identity). The agents keep
 * connections alive, as undici did, for `refresh --all`; Node unrefs idle sockets, so they
 * never hold a one-shot command open.
 */
export class EngineHeaders {
  private readonly values = new Map<string, string>();

  constructor(init?: EngineHeaders | Iterable<readonly [string, string]> | Record<string, string>) {
    if (!init) return;
    const entries = Symbol.iterator in init ? (init as Iterable<readonly [string, string]>) : Object.entries(init);
    for (const [name, value] of entries) this.set(name, value);
  }

  get(name: string): string | null {
    return this.values.get(name.toLowerCase()) ?? null;
  }

  has(name: string): boolean {
    return this.values.has(name.toLowerCase());
  }

  set(name: string, value: string): void {
    this.values.set(name.toLowerCase(), String(value));
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.values.entries();
  }
}

export interface EngineInit {
  method?: string;
  headers?: EngineHeaders;
  body?: string;
  signal?: AbortSignal;
}

export interface EngineResponse {
  status: number;
  statusText: string;
  ok: boolean;
  headers: EngineHeaders;
  body: IncomingMessage;
}

type Send = (url: URL, options: RequestOptions) => ClientRequest;
const transports: { http?: [Send, HttpAgent]; https?: [Send, HttpAgent] } = {};

async function transport(url: URL): Promise<[Send, HttpAgent]> {
  if (url.protocol === 'http:') return (transports.http ??= [httpRequest, new HttpAgent({ keepAlive: true })]);
  if (url.protocol !== 'https:') throw new TypeError(`unsupported protocol ${url.protocol}`);
  // Loaded for the first https: request only (the sandbox is plain http).
  const https = await import('node:https');
  return (transports.https ??= [https.request, new https.Agent({ keepAlive: true })]);
}

export async function engineFetch(input: string, init: EngineInit = {}): Promise<EngineResponse> {
  const url = new URL(input);
  const [send, agent] = await transport(url);
  // identity: without the header, RFC 9110 lets a server pick any coding, and nothing here decodes one.
  const headers: Record<string, string> = { 'accept-encoding': 'identity', ...Object.fromEntries(init.headers ?? []) };
  if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
  return new Promise((resolve, reject) => {
    const req = send(url, { method: init.method ?? 'GET', headers, agent, signal: init.signal });
    // Kept for the request's life, so that an error after the answer began is never unhandled
    // (it reaches the reader through the body; IncomingMessage emits none without a listener).
    req.on('error', reject);
    req.once('response', (res) => {
      const answer = new EngineHeaders();
      for (const [name, value] of Object.entries(res.headers)) {
        if (value !== undefined) answer.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const status = res.statusCode ?? 0;
      resolve({ status, statusText: res.statusMessage ?? '', ok: status >= 200 && status < 300, headers: answer, body: res });
    });
    req.end(init.body);
  });
}

export const client = createFetch({
  fetch: engineFetch as unknown as typeof globalThis.fetch,
  Headers: EngineHeaders as unknown as typeof globalThis.Headers,
  AbortController,
});
