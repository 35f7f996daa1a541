import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTool, jsonOut, requires, useHarness } from '../helpers';

/**
 * hh.ru is HTTPS; the sandbox is plain HTTP. Here a TLS front (a self-signed certificate made
 * with openssl) passes requests on to the sandbox, so that the HTTP engine's https: path
 * (src/hh/fetch-engine.ts loads node:https for it) runs through the built CLI: a due
 * refresh, and whoami; and a certificate nobody vouches for is refused before anything
 * is sent.
 */
const h = useHarness({ expiresIn: 1 });
const openssl = findTool('openssl');
const dir = mkdtempSync(join(tmpdir(), 'hh-oauth-tls-'));
let front: Server;
let frontUrl = '';
const seen: string[] = [];

beforeAll(async () => {
  if (!openssl) return;
  const made = spawnSync(openssl, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
  const target = new URL(h.sandbox.url);
  front = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()));
  frontUrl = `https://127.0.0.1:${(front.address() as AddressInfo).port}`;
});
afterAll(async () => {
  if (front) {
    front.closeAllConnections();
    await new Promise((r) => front.close(r));
  }
  rmSync(dir, { recursive: true, force: true });
});

const overTls = (trusted: boolean) => ({
  HH_TOKEN_URL: `${frontUrl}/token`,
  HH_API_URL: frontUrl,
  ...(trusted ? { NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') } : {}),
});

describe('over HTTPS', () => {
  it('a due refresh, then whoami, go through TLS', async (ctx) => {
    requires(ctx, 'openssl', openssl !== undefined);
    await h.login();
    await new Promise((r) => setTimeout(r, 1100));
    seen.length = 0;
    const refreshed = await h.run(['refresh', '--json'], { env: overTls(true) });
    expect(refreshed.code, refreshed.stderr).toBe(0);
    expect(jsonOut(refreshed).status).toBe('refreshed');
    const me = await h.run(['whoami', '--json'], { env: overTls(true) });
    expect(me.code, me.stderr).toBe(0);
    expect(jsonOut(me)).toHaveProperty('id');
    expect(seen).toEqual(['POST /token', 'GET /me']);
  });

  it('an untrusted certificate: exit 6, nothing sent, the pair kept', async (ctx) => {
    requires(ctx, 'openssl', openssl !== undefined);
    await h.login();
    await new Promise((r) => setTimeout(r, 1100));
    const before = readFileSync(h.tokenFile, 'utf8');
    seen.length = 0;
    const out = await h.run(['refresh', '--json'], { env: overTls(false) });
    expect(out.code, out.stderr).toBe(6);
    expect(jsonOut(out).error.message).toMatch(/POST 127\.0\.0\.1:\d+\/token failed: (SELF_SIGNED|DEPTH_ZERO_SELF_SIGNED|UNABLE_TO_VERIFY)/);
    expect(seen).toEqual([]);
    expect(readFileSync(h.tokenFile, 'utf8')).toBe(before);
  });
});
