import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HhOauthError } from '../../../src/errors';
import { httpRequest, type HttpSettings } from '../../../src/hh/http';

/**
 * The HTTP engine (ofetch on node:http, src/hh/fetch-engine.ts) against a raw node:http
 * server, for what the sandbox's faults do not reach: a body cut mid-way, the headers on
 * the wire, a body dropped past the cap, connection reuse. The sandbox's faults
 * (8 MiB body, hang, reset, truncated JSON, HTML, 429) are in test/e2e/bad-input.test.ts.
 */
type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = (_req, res) => res.end();
const seen: { headers: IncomingMessage['headers']; socket: Socket }[] = [];
const server = createServer((req, res) => {
  seen.push({ headers: req.headers, socket: req.socket });
  handler(req, res);
});
let base = '';
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const settings: HttpSettings = { userAgent: 'hh-oauth-test/1.0 (test@example.org)', timeoutSeconds: 5, retries: 0 };
const get = (path = '/x', s: Partial<HttpSettings> = {}) => httpRequest({ method: 'GET', url: `${base}${path}` }, { ...settings, ...s });
const failure = (p: Promise<unknown>) => p.then(() => expect.unreachable('the request succeeded'), (err: unknown) => err as HhOauthError);

describe('the HTTP client on its engine', () => {
  it('sends both User-Agent headers, Accept, and a form body as application/x-www-form-urlencoded', async () => {
    let body = '';
    handler = (req, res) => {
      req.on('data', (c) => (body += c));
      req.on('end', () => res.end('{}'));
    };
    seen.length = 0;
    await httpRequest({ method: 'POST', url: `${base}/token`, form: { grant_type: 'refresh_token', refresh_token: 'R' } }, settings);
    expect(seen[0]!.headers).toMatchObject({
      'user-agent': settings.userAgent,
      'hh-user-agent': settings.userAgent,
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(body).toBe('grant_type=refresh_token&refresh_token=R');
  });

  it('a body cut off before its Content-Length is a failure (retried), never a short answer', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"access_token":"A","refresh');
      setTimeout(() => res.socket?.destroy(), 20);
    };
    const err = await failure(get());
    expect(err).toBeInstanceOf(HhOauthError);
    expect(err.message).toMatch(/^GET 127\.0\.0\.1:\d+\/x failed: ECONNRESET/);
  });

  it('a chunked body cut off mid-way is a failure too', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"access_token":"A",');
      setTimeout(() => res.socket?.destroy(), 20);
    };
    expect((await failure(get())).message).toMatch(/failed: ECONNRESET/);
  });

  it('asks for an uncompressed answer (nothing here decodes one): Accept-Encoding: identity', async () => {
    handler = (_req, res) => res.end('{}');
    seen.length = 0;
    await get();
    expect(seen[0]!.headers['accept-encoding']).toBe('identity');
  });

  it('a body over 1 MiB is refused without being read to its end: the connection is dropped', async () => {
    let written = 0;
    let closed = false;
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (written < 64 * 1024 * 1024 && res.write(chunk)) written += chunk.length;
      };
      res.on('drain', pump);
      res.on('close', () => (closed = true));
      pump();
    };
    expect((await failure(get())).message).toBe('the answer was larger than 1024 KiB; refusing to read it');
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(true);
    expect(written).toBeLessThan(16 * 1024 * 1024);
  });

  it('headers, then silence: the per-attempt timeout covers the body', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{');
    };
    const started = Date.now();
    expect((await failure(get('/x', { timeoutSeconds: 1 }))).message).toMatch(/no answer within 1 s/);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('keeps the connection for the next request, as `refresh --all` sends many to one host', async () => {
    handler = (_req, res) => res.end('{}');
    seen.length = 0;
    for (let i = 0; i < 3; i++) await get();
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((s) => s.socket)).size).toBe(1);
  });

  it('returns headers readable by name, and redirects unfollowed', async () => {
    handler = (_req, res) => {
      res.writeHead(302, { location: 'https://elsewhere.example/', 'x-request-id': 'req-1' });
      res.end();
    };
    const res = await get();
    expect(res.status).toBe(302);
    expect(res.headers.get('X-Request-Id')).toBe('req-1');
    expect(res.headers.get('location')).toBe('https://elsewhere.example/');
  });
});
