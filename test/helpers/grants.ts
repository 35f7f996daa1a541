import { recordFromGrant } from '../../src/token/record';
import type { RunResult } from './cli';
import { BROWSER_USER_AGENT, USER_AGENT } from './constants';
import { writeTokenFile } from './token-files';
import type { Harness } from './workspace';

/**
 * The hh.ru side of a harness's tests without the CLI: the browser step, grants minted
 * over HTTP (for tests that need many token files quickly), revocation, /me, and what the
 * sandbox's token endpoint was asked.
 */

/** What a browser does at hh.ru's authorization page: returns where hh.ru redirects it (the callback URL). */
export async function browserRedirect(authorizeUrl: string | URL): Promise<string> {
  const response = await fetch(authorizeUrl, { redirect: 'manual', headers: { 'User-Agent': BROWSER_USER_AGENT } });
  const location = response.headers.get('location');
  if (!location) throw new Error(`no redirect from the sandbox: HTTP ${response.status}`);
  return location;
}

/** A fresh authorization code for the harness's client: the sandbox's authorization page, without `authorize-url`. */
export async function browserCode(h: Harness): Promise<string> {
  const url = new URL(h.sandbox.env.HH_AUTHORIZE_URL);
  url.search = new URLSearchParams({ response_type: 'code', client_id: h.clientId, redirect_uri: h.redirectUri }).toString();
  const code = new URL(await browserRedirect(url)).searchParams.get('code');
  if (!code) throw new Error('the sandbox redirected without a code');
  return code;
}

/** A real grant from the sandbox without spawning the CLI: the browser step, then the code exchange over HTTP. */
export async function mintGrant(h: Harness): Promise<Record<string, unknown>> {
  const form = {
    grant_type: 'authorization_code',
    client_id: h.clientId,
    client_secret: h.env().HH_CLIENT_SECRET!,
    code: await browserCode(h),
    redirect_uri: h.redirectUri,
  };
  const response = await fetch(h.sandbox.env.HH_TOKEN_URL, {
    method: 'POST',
    headers: { 'User-Agent': USER_AGENT, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  if (response.status !== 200) throw new Error(`token endpoint answered HTTP ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

/** A token file from a fresh grant, as `exchange` would have stored it. */
export async function storeGrant(h: Harness, path: string): Promise<Record<string, unknown>> {
  const record = recordFromGrant(await mintGrant(h), new Date());
  writeTokenFile(path, record);
  return record;
}

/** A stored token in one CLI run: the browser step by fetch, then `exchange -` with the bare code on stdin. */
export async function quickLogin(h: Harness, env: Record<string, string | undefined> = {}, args: string[] = []): Promise<RunResult> {
  const out = await h.run(['exchange', '-', ...args], { input: await browserCode(h), env });
  if (out.code !== 0) throw new Error(`exchange failed: ${out.stderr}`);
  return out;
}

/** Revokes a pair at the sandbox (DELETE /oauth/token with its access token), as a user revoking access would. */
export async function revokeAtSandbox(h: Harness, accessToken: string): Promise<void> {
  const response = await fetch(`${h.sandbox.env.HH_API_URL}/oauth/token`, {
    method: 'DELETE',
    headers: { 'User-Agent': USER_AGENT, Authorization: `Bearer ${accessToken}` },
  });
  if (response.status !== 204) throw new Error(`revocation answered HTTP ${response.status}`);
}

/** What the sandbox says about an access token now: the auth_type of /me, or hh.ru's oauth error value. */
export async function meAnswer(h: Harness, accessToken: string): Promise<string> {
  const response = await fetch(`${h.sandbox.url}/me`, { headers: { Authorization: `Bearer ${accessToken}`, 'User-Agent': USER_AGENT } });
  const body = (await response.json()) as { auth_type?: string; errors?: Array<{ value: string }> };
  return response.ok ? body.auth_type! : body.errors![0]!.value;
}

/** How many grant requests (POST /token) the harness's sandbox has had: hh.ru's side of "nothing was sent". */
export const tokenPosts = (h: Harness) => h.sandbox.requests().filter((r) => r.method === 'POST' && r.path === '/token').length;
