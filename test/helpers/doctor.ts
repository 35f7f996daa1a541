import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** Shared by the doctor tests: tool detection, a stand-in callback listener, a server-block nginx file. */

/** True when the tool runs here. Locally a missing tool skips with a printed reason; under CI it never skips. */
export function hasTool(cmd: string, args: string[]): boolean {
  const found = spawnSync(cmd, args, { stdio: 'ignore' }).error === undefined;
  if (!found && !process.env.CI) console.warn(`[skip] ${cmd} is not installed here: its doctor tests are skipped locally (CI installs it and runs them)`);
  return found || Boolean(process.env.CI);
}

/** What nginx + `hh-oauth login` would answer at the public callback URL: any HTTP answer will do. */
export async function startCallbackListener(): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server: Server = createServer((_req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/callback`,
    hits: () => hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A port nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A server block like the one install-units renders for sites-enabled (with its limit_req zone and proxy_params). */
export function writeSiteConf(dir: string, body = ''): string {
  const path = join(dir, 'hh-oauth.conf');
  writeFileSync(path, [
    'limit_req_zone $binary_remote_addr zone=hh_oauth_callback:1m rate=5r/s;',
    'server {',
    '  listen 127.0.0.1:8399;',
    '  server_name bot.example.com;',
    `  access_log ${join(dir, 'callback.log')};`,
    '  location = /callback {',
    '    limit_req zone=hh_oauth_callback burst=10;',
    '    include proxy_params;',
    '    proxy_set_header X-Forwarded-Proto https;',
    '    proxy_pass http://127.0.0.1:8400;',
    '  }',
    body,
    '}',
    '',
  ].join('\n'));
  return path;
}
