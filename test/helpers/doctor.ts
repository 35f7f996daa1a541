import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startRecordingServer, type RecordingServer } from './net';

/** Shared by the doctor tests: a stand-in for the public callback URL, and a server-block nginx file. */

/**
 * What nginx + `hh-oauth login` would answer at the public callback URL (any HTTP answer
 * will do), up for the whole file: its `url` (…/callback) and how many requests it got.
 */
export function useStandInCallback(): { readonly url: string; hits(): number } {
  let server: RecordingServer | undefined;
  beforeAll(async () => {
    server = await startRecordingServer();
  });
  afterAll(() => server?.close());
  return {
    get url() {
      return server!.url('/callback');
    },
    hits: () => server!.seen.length,
  };
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
