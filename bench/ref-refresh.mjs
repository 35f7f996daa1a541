// The fetch-based reference for `hh-oauth refresh` when due (npm run bench reports it; the
// gate is against ref-refresh-http.mjs): the same work with no abstraction.
// Read the token file, POST the refresh with Node's built-in fetch, write the result the
// way docs/contract.md requires (temp file in the same directory, fsync, rename, fsync dir).
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

const file = process.env.HH_TOKEN_FILE;
const agent = process.env.HH_USER_AGENT;
const { refresh_token } = JSON.parse(readFileSync(file, 'utf8'));
const response = await fetch(process.env.HH_TOKEN_URL, {
  method: 'POST',
  headers: { 'User-Agent': agent, 'HH-User-Agent': agent, 'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token }),
});
const grant = await response.json();
if (!response.ok || typeof grant.access_token !== 'string') {
  console.error(`refresh failed: HTTP ${response.status}`);
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
