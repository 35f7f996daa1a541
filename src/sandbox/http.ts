import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Reply } from './types';

export const BODY_LIMIT = 64 * 1024;

export type BodyResult = { ok: true; text: string } | { ok: false };

/** Reads the whole body, giving up (ok: false) as soon as it exceeds BODY_LIMIT. */
export function readBody(req: IncomingMessage): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > BODY_LIMIT) {
    req.resume();
    return Promise.resolve({ ok: false });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > BODY_LIMIT) {
        done = true;
        resolve({ ok: false });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve({ ok: true, text: Buffer.concat(chunks).toString('utf8') });
      done = true;
    });
    // An aborted upload never ends; treat it like an oversized one, the answer goes nowhere anyway.
    req.on('error', () => {
      if (!done) resolve({ ok: false });
      done = true;
    });
  });
}

/**
 * Sends a Reply. The X-Request-Id header (the server sets one for every request) follows the
 * body's request_id when it has one; `omit` names headers not to send at all.
 */
export function sendReply(res: ServerResponse, reply: Reply, omit: string[] = []): void {
  const headers: Record<string, string> = { ...reply.headers };
  const requestId = (reply.body as { request_id?: unknown } | undefined)?.request_id;
  if (typeof requestId === 'string' && headers['x-request-id'] === undefined) headers['x-request-id'] = requestId;
  for (const name of omit) {
    res.removeHeader(name);
    delete headers[name];
  }
  let payload = '';
  if (typeof reply.body === 'string') {
    payload = reply.body;
  } else if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  if (reply.status !== 204) headers['content-length'] = String(Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  res.end(reply.status === 204 ? undefined : payload);
}

export function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

// hh.ru blacklists values, and says which in one word (`blacklisted`). The sandbox refuses
// the default identities of Node's HTTP clients (anonymous library traffic) and the
// documentation's own placeholder, `MyApp/1.0 (my-app-feedback@example.com)`, which hh.ru's
// maintainers have called a bad User-Agent: a real product name and a read mailbox pass.
const BLACKLISTED_AGENT = [/^(node|undici|node-fetch)(\/\S*)?$/i, /^MyApp\//i, /my-app-feedback@example\.com/i];

/** Which bad_user_agent value hh.ru gives, or 'ok'. HH-User-Agent wins over User-Agent when it is present and non-empty. */
export function userAgentVerdict(headers: IncomingHttpHeaders): 'ok' | 'unset' | 'blacklisted' {
  const pick = (v: string | string[] | undefined): string => (Array.isArray(v) ? v.join(', ') : (v ?? '')).trim();
  const agent = pick(headers['hh-user-agent']) || pick(headers['user-agent']);
  if (agent === '') return 'unset';
  return BLACKLISTED_AGENT.some((pattern) => pattern.test(agent)) ? 'blacklisted' : 'ok';
}

export function isFormUrlEncoded(headers: IncomingHttpHeaders): boolean {
  const type = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  return type === 'application/x-www-form-urlencoded';
}
