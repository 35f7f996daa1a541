import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineHeaders, engineFetch } from '../../../src/hh/fetch-engine';

/** The fetch under ofetch (src/hh/fetch-engine.ts), on its own: the part of the Fetch API it promises. */
type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = (_req, res) => res.end();
let last: { headers: IncomingMessage['headers']; body: string } | undefined;
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    last = { headers: req.headers, body };
    handler(req, res);
  });
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

const read = async (body: AsyncIterable<Buffer>) => {
  let text = '';
  for await (const chunk of body) text += chunk.toString('utf8');
  return text;
};

describe('EngineHeaders (what ofetch and http.ts call)', () => {
  it('reads names case-insensitively, the last value set winning, null when absent', () => {
    const h = new EngineHeaders({ 'Content-Type': 'a' });
    h.set('content-type', 'b');
    expect([h.get('CONTENT-TYPE'), h.has('Content-type'), h.get('accept'), h.has('accept')]).toEqual(['b', true, null, false]);
  });

  it('is built from a record, from pairs or from another one, and iterates lowercased pairs', () => {
    const fromPairs = new EngineHeaders([['X-A', '1'], ['x-b', '2']]);
    expect([...new EngineHeaders(fromPairs)]).toEqual([['x-a', '1'], ['x-b', '2']]);
    expect([...new EngineHeaders({ Accept: 'application/json' })]).toEqual([['accept', 'application/json']]);
    expect([...new EngineHeaders()]).toEqual([]);
  });
});

describe('engineFetch', () => {
  it('sends the method, the headers and a string body with its length; answers status, headers and the body as bytes', async () => {
    handler = (_req, res) => {
      res.writeHead(201, 'Made', { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] });
      res.end('{"ok":true}');
    };
    const res = await engineFetch(`${base}/token?x=1`, { method: 'POST', headers: new EngineHeaders({ 'User-Agent': 'ua/1 (a@b.c)' }), body: 'a=ü' });
    expect(last!.headers).toMatchObject({ 'user-agent': 'ua/1 (a@b.c)', 'content-length': '4', 'accept-encoding': 'identity' });
    expect(last!.body).toBe('a=ü');
    expect([res.status, res.statusText, res.ok]).toEqual([201, 'Made', true]);
    expect(res.headers.get('Set-Cookie')).toBe('a=1, b=2');
    expect(await read(res.body)).toBe('{"ok":true}');
  });

  it('a GET carries no body and no length', async () => {
    handler = (_req, res) => res.end();
    await read((await engineFetch(`${base}/me`)).body);
    expect(last!.headers['content-length']).toBeUndefined();
    expect(last!.headers['transfer-encoding']).toBeUndefined();
    expect(last!.body).toBe('');
  });

  it('an abort before the answer rejects; an abort during the body ends the read with an error, never a short body', async () => {
    handler = () => undefined; // no answer
    const early = new AbortController();
    const pending = engineFetch(`${base}/hang`, { signal: early.signal });
    setTimeout(() => early.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });

    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"access_token":');
    };
    const late = new AbortController();
    const res = await engineFetch(`${base}/half`, { signal: late.signal });
    setTimeout(() => late.abort(), 50);
    await expect(read(res.body)).rejects.toThrow();
  });

  it('a dropped connection under an answer nobody reads (or stopped reading) raises no unhandled error', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write('first');
      setTimeout(() => res.socket?.destroy(), 50);
    };
    const unread = await engineFetch(`${base}/drop`);
    const stopped = await engineFetch(`${base}/drop`);
    for await (const _chunk of stopped.body) break;
    await new Promise((r) => setTimeout(r, 150));
    // vitest fails the run on an unhandled error; reaching here with both sockets gone is the test.
    expect([unread.body.destroyed, stopped.body.destroyed]).toEqual([true, true]);
  });

  it('follows no redirect and refuses a protocol other than http: and https:', async () => {
    handler = (_req, res) => {
      res.writeHead(301, { location: '/elsewhere' });
      res.end();
    };
    const res = await engineFetch(`${base}/moved`);
    expect([res.status, res.headers.get('location')]).toEqual([301, '/elsewhere']);
    await expect(engineFetch('ftp://127.0.0.1/x')).rejects.toThrow(/unsupported protocol ftp:/);
  });
});
