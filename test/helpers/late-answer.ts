import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { USER_AGENT } from './constants';
import { sleep } from './time';

/**
 * A token endpoint in front of the sandbox's whose answer is late: hh.ru has already
 * answered (the refresh token or the code is spent) when `spent` resolves, but the
 * client gets the answer only delayMs later. A signal sent in between lands exactly
 * where losing the process means losing the pair.
 */
export async function lateTokenEndpoint(tokenUrl: string, delayMs = 500) {
  let answered!: () => void;
  const spent = new Promise<void>((resolve) => (answered = resolve));
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', async () => {
      const upstream = await fetch(tokenUrl, { method: 'POST', headers: { 'User-Agent': USER_AGENT, 'Content-Type': 'application/x-www-form-urlencoded' }, body });
      const text = await upstream.text();
      answered();
      await sleep(delayMs);
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    spent,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
