import { afterAll, expect } from 'vitest';
import { DEFAULT_CLIENT, startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index';
import { USER_AGENT } from './constants';

/** In-process sandboxes for the sandbox's own tests, and the raw HTTP requests those tests make to it. */

/** A start() for sandboxes that are all closed after the file's tests. */
export function useSandboxes(): (opts?: SandboxOptions) => Promise<Sandbox> {
  const started: Sandbox[] = [];
  afterAll(() => Promise.all(started.map((s) => s.close())));
  return async (opts = {}) => {
    const sandbox = await startSandbox(opts);
    started.push(sandbox);
    return sandbox;
  };
}

/** What the sandbox issues as codes and tokens: 64 upper-case letters and digits. */
export const SECRET_SHAPE = /^[A-Z0-9]{64}$/;

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
}

export async function readAnswer(res: Response): Promise<Answer> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** A request to the sandbox's API (sb.url + path) with our User-Agent and, given `token`, a bearer. */
export async function call(sb: Sandbox, path: string, init: RequestInit & { token?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...(init.headers as Record<string, string>) };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  return readAnswer(await fetch(`${sb.url}${path}`, { ...init, headers }));
}

type Form = Record<string, string> | string;

function sendForm(url: string, form: Form, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'user-agent': USER_AGENT, 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof form === 'string' ? form : new URLSearchParams(form).toString(),
    ...(signal ? { signal } : {}),
  });
}

/** POSTs a form (fields, or a body already encoded) to `url` with our User-Agent; `headers` override ours. */
export async function postForm(url: string, form: Form, headers: Record<string, string> = {}): Promise<Answer> {
  return readAnswer(await sendForm(url, form, headers));
}

/** POSTs a form to the sandbox's token endpoint and hands back the raw response (for faults: status, headers, a body that may not parse). */
export function postToken(sb: Sandbox, form: Form, signal?: AbortSignal): Promise<Response> {
  return sendForm(sb.env.HH_TOKEN_URL, form, {}, signal);
}

/** The authorization_code grant for the default client; `extra` adds or overrides fields. */
export const exchangeForm = (code: string, extra: Record<string, string> = {}): Record<string, string> => ({
  grant_type: 'authorization_code',
  client_id: DEFAULT_CLIENT.clientId,
  client_secret: DEFAULT_CLIENT.clientSecret,
  code,
  ...extra,
});

export const refreshForm = (refresh_token: string) => ({ grant_type: 'refresh_token', refresh_token });

/** The client_credentials grant (an application token) for the default client. */
export const CLIENT_CREDENTIALS: Record<string, string> = {
  grant_type: 'client_credentials',
  client_id: DEFAULT_CLIENT.clientId,
  client_secret: DEFAULT_CLIENT.clientSecret,
};

/** GET /oauth/authorize with these parameters; the answer unfollowed (a redirect is a 302 here). */
export async function openAuthorize(sb: Sandbox, params: Record<string, string>): Promise<Answer> {
  const query = new URLSearchParams(params);
  return readAnswer(await fetch(`${sb.env.HH_AUTHORIZE_URL}?${query}`, { redirect: 'manual' }));
}

/** A code from the authorization page (approved), checked to be one. */
export async function getCode(sb: Sandbox, extra: Record<string, string> = {}, clientId = DEFAULT_CLIENT.clientId): Promise<string> {
  const res = await openAuthorize(sb, { response_type: 'code', client_id: clientId, ...extra });
  expect(res.status).toBe(302);
  const code = new URL(res.headers.get('location') ?? '').searchParams.get('code');
  expect(code).toMatch(SECRET_SHAPE);
  return code as string;
}

/** A user's token pair: a code, then its exchange. */
export async function userPair(sb: Sandbox): Promise<{ access_token: string; refresh_token: string }> {
  const res = await postForm(sb.env.HH_TOKEN_URL, exchangeForm(await getCode(sb)));
  expect(res.status).toBe(200);
  return res.json;
}

/** An application token (client_credentials). */
export async function grantAppToken(sb: Sandbox): Promise<string> {
  const res = await postForm(sb.env.HH_TOKEN_URL, CLIENT_CREDENTIALS);
  expect(res.status).toBe(200);
  return res.json.access_token as string;
}

export const getMe = (sb: Sandbox, token: string) => call(sb, '/me', { token });
