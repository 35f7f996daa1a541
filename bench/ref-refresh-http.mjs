// The floor for `hh-oauth refresh` when due: the same work as ref-refresh.mjs with node:http
// instead of Node's built-in fetch (whose engine, undici, costs more to load than the rest).
// Read the token file, POST the refresh on a fresh connection (agent: false, as a one-shot
// CLI has no connection to reuse), write the result the way the contract requires (temp
// file in the same directory, fsync, rename, fsync dir). http: or https: by HH_TOKEN_URL.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

const file = process.env.HH_TOKEN_FILE;
const agent = process.env.HH_USER_AGENT;
const url = new URL(process.env.HH_TOKEN_URL);
const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
const { refresh_token } = JSON.parse(readFileSync(file, 'utf8'));
const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token }).toString();
const { status, text } = await new Promise((resolve, reject) => {
  const req = request(url, {
    method: 'POST',
    agent: false,
    headers: {
      'User-Agent': agent,
      'HH-User-Agent': agent,
      'Content-Type': 'application/x-www-form-urlencoded',
      'Content-Length': Buffer.byteLength(body),
    },
  });
  req.on('error', reject);
  req.on('response', (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('error', reject);
    res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
  });
  req.end(body);
});
const grant = JSON.parse(text);
if (status !== 200 || typeof grant.access_token !== 'string') {
  console.error(`refresh failed: HTTP ${status}`);
  process.exit(6);
}
const now = new Date();
const record = { ...grant, obtained_at: now.toISOString(), expires_at: new Date(now.getTime() + grant.expires_in * 1000).toISOString() };
const temp = `${file}.ref.tmp`;
const fd = openSync(temp, 'w', 0o600);
writeSync(fd, JSON.stringify(record, null, 2) + '\n');
fsyncSync(fd);
closeSync(fd);
renameSync(temp, file);
const dir = openSync(dirname(file), 'r');
fsyncSync(dir);
closeSync(dir);
