import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { recordFromGrant } from '../../src/token/record';
import { REDIRECT_URI, USER_AGENT, type Harness } from './workspace';

/**
 * A real grant from the sandbox without spawning the CLI: the browser step, then the
 * code exchange over HTTP. For tests that need many token files quickly.
 */
export async function mintGrant(h: Harness): Promise<Record<string, unknown>> {
  const url = new URL(h.sandbox.env.HH_AUTHORIZE_URL);
  url.search = new URLSearchParams({ response_type: 'code', client_id: h.clientId, redirect_uri: REDIRECT_URI }).toString();
  const page = await fetch(url, { redirect: 'manual', headers: { 'User-Agent': 'browser/1.0' } });
  const code = new URL(page.headers.get('location')!).searchParams.get('code');
  if (!code) throw new Error(`no code from the sandbox (HTTP ${page.status})`);
  const form = {
    grant_type: 'authorization_code',
    client_id: h.clientId,
    client_secret: h.env().HH_CLIENT_SECRET!,
    code,
    redirect_uri: REDIRECT_URI,
  };
  const response = await fetch(h.sandbox.env.HH_TOKEN_URL, {
    method: 'POST',
    headers: { 'User-Agent': USER_AGENT, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  if (response.status !== 200) throw new Error(`token endpoint answered HTTP ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

/** Writes a token file the way the store does (0600 in a 0700 directory). */
export function writeTokenFile(path: string, content: Record<string, unknown> | string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2) + '\n', { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** A token file from a fresh grant, as `exchange` would have stored it. */
export async function storeGrant(h: Harness, path: string): Promise<Record<string, unknown>> {
  const record = recordFromGrant(await mintGrant(h), new Date());
  writeTokenFile(path, record);
  return record;
}

/** A file that is not due for a day; its tokens were never issued, so it must not reach hh.ru. */
export function storeNotDue(path: string): void {
  const now = Date.now();
  writeTokenFile(path, {
    access_token: 'NOTDUEACCESS',
    token_type: 'bearer',
    expires_in: 86400,
    refresh_token: 'NOTDUEREFRESH',
    obtained_at: new Date(now).toISOString(),
    expires_at: new Date(now + 86400_000).toISOString(),
  });
}

/** Revokes a stored pair at the sandbox (DELETE /oauth/token), as a user revoking access would. */
export async function revokeAtSandbox(h: Harness, accessToken: string): Promise<void> {
  const response = await fetch(`${h.sandbox.env.HH_API_URL}/oauth/token`, {
    method: 'DELETE',
    headers: { 'User-Agent': USER_AGENT, Authorization: `Bearer ${accessToken}` },
  });
  if (response.status !== 204) throw new Error(`revocation answered HTTP ${response.status}`);
}

/** Waits until every token the sandbox issued so far (lifetime `seconds`) has expired. */
export const waitForExpiry = (seconds: number) => new Promise((r) => setTimeout(r, seconds * 1000 + 100));
