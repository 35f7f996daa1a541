import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { newRequestId } from './secrets';
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

export function sendReply(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...reply.headers };
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

// Default identities of Node's HTTP clients: hh.ru blacklists anonymous library traffic.
const BLACKLISTED_AGENT = /^(node|undici|node-fetch)(\/\S*)?$/i;

/** HH-User-Agent wins over User-Agent when it is present and non-empty. */
export function userAgentAccepted(headers: IncomingHttpHeaders): boolean {
  const pick = (v: string | string[] | undefined): string => (Array.isArray(v) ? v.join(', ') : (v ?? '')).trim();
  const agent = pick(headers['hh-user-agent']) || pick(headers['user-agent']);
  return agent !== '' && !BLACKLISTED_AGENT.test(agent);
}

export function badUserAgent(): Reply {
  return {
    status: 400,
    body: {
      errors: [{ type: 'bad_user_agent', value: 'blacklisted' }],
      description:
        'User-Agent (or HH-User-Agent) is missing or blacklisted; send one like "MyApp/1.0 (contact@example.com)"',
      request_id: newRequestId(),
    },
  };
}

export function isFormUrlEncoded(headers: IncomingHttpHeaders): boolean {
  const type = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  return type === 'application/x-www-form-urlencoded';
}
