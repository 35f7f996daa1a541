import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { USER_AGENT } from './constants';

/**
 * A token endpoint in front of the sandbox's that holds every request until the gate
 * opens, then forwards it: the multi-host suites start all their processes, let them meet
 * the expired token and the store's lock, and only then let the first grant through. It
 * counts what reached it, so a test sees how many grants were asked for, not only answered.
 */
export async function gatedTokenEndpoint(tokenUrl: string) {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let asked = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', async () => {
      asked++;
      await opened;
      // A client that gave up while held (its own timeout) never sees an answer: nothing is forwarded for it.
      if (req.socket.destroyed) return;
      try {
        const upstream = await fetch(tokenUrl, { method: 'POST', headers: { 'User-Agent': USER_AGENT, 'Content-Type': 'application/x-www-form-urlencoded' }, body });
        const text = await upstream.text();
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
        res.end(text);
      } catch {
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    open: () => open(),
    asked: () => asked,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
