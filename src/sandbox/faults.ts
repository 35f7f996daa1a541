import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken } from './api';
import { DOCUMENTED_ERRORS, documentedError, oauth } from './hh-errors';
import { sendReply } from './http';
import type { SandboxState } from './state';
import type { Fault, Reply } from './types';

const KINDS = new Set<Fault['kind']>([
  'html',
  'rate-limit',
  'truncated-json',
  'missing-access-token',
  'huge-body',
  'unknown-error',
  'reset',
  'hang',
  'answer',
  'lost-answer',
  'token-expired',
]);

const DEFAULT_HUGE_BYTES = 8 * 1024 * 1024;

/** Checks a fault that arrived as JSON over /_sandbox/fault; returns an error message when it is malformed. */
export function validateFault(input: unknown): Fault | null | string {
  if (input === null) return null;
  if (typeof input !== 'object' || Array.isArray(input)) return 'fault must be an object or null';
  const f = input as Record<string, unknown>;
  if (typeof f.kind !== 'string' || !KINDS.has(f.kind as Fault['kind'])) {
    return `kind must be one of: ${[...KINDS].join(', ')}`;
  }
  if (f.path !== undefined && (typeof f.path !== 'string' || !f.path.startsWith('/'))) {
    return 'path must be a string starting with /';
  }
  if (f.times !== undefined && !isPositiveInt(f.times)) return 'times must be a positive integer';
  if (f.kind === 'html' && !(Number.isInteger(f.status) && (f.status as number) >= 100 && (f.status as number) <= 599)) {
    return 'html needs status (100-599)';
  }
  if (f.kind === 'rate-limit' && !(Number.isInteger(f.retryAfter) && (f.retryAfter as number) >= 0)) {
    return 'rate-limit needs retryAfter (seconds, >= 0)';
  }
  if (f.kind === 'huge-body' && f.bytes !== undefined && !isPositiveInt(f.bytes)) {
    return 'bytes must be a positive integer';
  }
  if (f.kind === 'answer') {
    const problem = answerProblem(f);
    if (problem) return problem;
  }
  if (f.kind === 'lost-answer' && f.then !== undefined && f.then !== 'reset' && f.then !== 'hang') {
    return 'then must be "reset" or "hang"';
  }
  return input as Fault;
}

function answerProblem(f: Record<string, unknown>): string | undefined {
  if (f.documented !== undefined) {
    if (typeof f.documented !== 'string' || !(f.documented in DOCUMENTED_ERRORS)) {
      return `documented must be one of: ${Object.keys(DOCUMENTED_ERRORS).join(', ')}`;
    }
    if (f.status !== undefined || f.body !== undefined) return 'answer takes documented, or status and body, not both';
  } else if (!(Number.isInteger(f.status) && (f.status as number) >= 100 && (f.status as number) <= 599)) {
    return 'answer needs status (100-599) or documented';
  }
  if (f.headers !== undefined) {
    if (typeof f.headers !== 'object' || f.headers === null || Array.isArray(f.headers)) return 'headers must be an object';
    for (const [name, value] of Object.entries(f.headers)) {
      if (!/^[A-Za-z0-9-]+$/.test(name)) return `headers: ${JSON.stringify(name)} is not a header name`;
      if (value !== null && (typeof value !== 'string' || /[\r\n]/.test(value))) return `headers: ${name} must be one line of text or null`;
    }
  }
  return undefined;
}

function isPositiveInt(x: unknown): boolean {
  return typeof x === 'number' && Number.isInteger(x) && x > 0;
}

/** Holds the active fault and counts down `times`. */
export class FaultSlot {
  private current: Fault | null = null;
  private remaining = Infinity;

  set(fault: Fault | null): void {
    this.current = fault ? { ...fault } : null;
    this.remaining = fault?.times ?? Infinity;
  }

  /** The fault to apply to this request, if any; consumes one of its `times`. */
  take(pathname: string): Fault | undefined {
    const f = this.current;
    if (!f || pathname.startsWith('/_sandbox/')) return undefined;
    if (f.path !== undefined && f.path !== pathname) return undefined;
    if (--this.remaining <= 0) this.set(null);
    return f;
  }
}

// Imitates the anti-DDoS layer in front of hh.ru: not JSON, not OAuth, just a page.
function blockPage(status: number): string {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${status} - hh.ru</title></head>
<body><h1>Подозрительный трафик / Suspicious traffic</h1>
<p>Sandbox fault: the request was blocked (HTTP ${status}). Try again later.</p></body></html>
`;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const HTML_TYPE = 'text/html; charset=utf-8';

/**
 * Answers the request in the faulty way; returns the label to log in place of a status.
 * 'lost-answer' is not here: the server first answers the request for real (see server.ts).
 */
export function applyFault(fault: Exclude<Fault, { kind: 'lost-answer' }>, req: IncomingMessage, res: ServerResponse, store: SandboxState, now: number): string {
  switch (fault.kind) {
    case 'html':
      // The anti-DDoS layer answers before hh.ru sees the request: no request id of hh.ru's.
      res.removeHeader('x-request-id');
      res.writeHead(fault.status, { 'content-type': HTML_TYPE });
      res.end(blockPage(fault.status));
      return String(fault.status);
    case 'rate-limit':
      res.removeHeader('x-request-id');
      res.writeHead(429, { 'content-type': HTML_TYPE, 'retry-after': String(fault.retryAfter) });
      res.end(blockPage(429));
      return '429';
    case 'truncated-json': {
      const decoy = store.decoyTokens();
      const full = JSON.stringify({
        access_token: decoy.access,
        token_type: 'bearer',
        expires_in: store.config.expiresIn,
        refresh_token: decoy.refresh,
      });
      const half = full.slice(0, Math.floor(full.length / 2));
      res.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': String(Buffer.byteLength(half)) });
      res.end(half);
      return '200';
    }
    case 'missing-access-token': {
      const decoy = store.decoyTokens();
      const body = JSON.stringify({ token_type: 'bearer', expires_in: store.config.expiresIn, refresh_token: decoy.refresh });
      res.writeHead(200, { 'content-type': JSON_TYPE });
      res.end(body);
      return '200';
    }
    case 'huge-body':
      streamHugeBody(res, fault.bytes ?? DEFAULT_HUGE_BYTES);
      return '200';
    case 'unknown-error':
      res.writeHead(400, { 'content-type': JSON_TYPE });
      res.end(JSON.stringify({ error: 'mystery_error', error_description: 'something new' }));
      return '400';
    case 'reset':
      req.socket.destroy();
      return 'reset';
    case 'hang':
      // Deliberately nothing: the socket stays open until the client gives up or close() destroys it.
      return 'hang';
    case 'answer': {
      const reply: Reply = 'documented' in fault ? documentedError(fault.documented) : { status: fault.status, body: fault.body };
      sendWithHeaders(res, reply, fault.headers);
      return String(reply.status);
    }
    case 'token-expired': {
      // hh.ru's clock is the one that counts: from now on the pair is expired here too, so the
      // refresh that a client then sends is accepted, as hh.ru would accept it.
      const pair = store.pairsByAccess.get(bearerToken(req.headers) ?? '');
      if (pair && pair.state === 'active') pair.expiresAt = Math.min(pair.expiresAt, now);
      sendReply(res, oauth('token_expired'));
      return '403';
    }
  }
}

function sendWithHeaders(res: ServerResponse, reply: Reply, headers: Record<string, string | null> | undefined): void {
  const set: Record<string, string> = { ...reply.headers };
  const omit: string[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === null) omit.push(name.toLowerCase());
    else set[name.toLowerCase()] = value;
  }
  sendReply(res, { ...reply, headers: set }, omit);
}

// Chunked on purpose: a client that trusts Content-Length to cap its reads gets no help here.
function streamHugeBody(res: ServerResponse, bytes: number): void {
  res.writeHead(200, { 'content-type': JSON_TYPE });
  const head = Buffer.from('{"access_token":"');
  const filler = Buffer.alloc(64 * 1024, 'A');
  let sent = 0;
  const pump = (): void => {
    while (sent < bytes) {
      if (res.destroyed) return;
      const source = sent === 0 ? Buffer.concat([head, filler]) : filler;
      const chunk = source.subarray(0, Math.min(source.length, bytes - sent));
      sent += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}
