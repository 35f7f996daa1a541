import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import minipassFetch from 'minipass-fetch';
import { createFetch } from 'ofetch';

/**
 * ofetch on minipass-fetch, a fetch built on node:http and node:https (npm's own), instead
 * of Node's built-in fetch: loading undici cost a due `refresh` more than all its other
 * work (README, Performance, has the measurements). Only this module and http.ts know
 * which engine it is; http.ts reads the body as an async iterable of bytes, which both are.
 *
 * The agents keep connections alive, as undici did: `refresh --all` sends many requests
 * to one host, and a one-shot command loses nothing (Node unrefs idle sockets, so they
 * never hold the process open).
 */
const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

const engineFetch = (input: string, init: object) =>
  minipassFetch(input, { ...init, agent: (url: URL) => (url.protocol === 'http:' ? agents.http : agents.https) });

export const client = createFetch({
  fetch: engineFetch as unknown as typeof globalThis.fetch,
  Headers: minipassFetch.Headers as unknown as typeof globalThis.Headers,
  AbortController,
});
