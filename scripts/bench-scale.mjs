#!/usr/bin/env node
// Scale benchmark: N profiles, all due, refreshed by ONE `hh-oauth refresh --all --concurrency 8`
// against the hh.ru sandbox (started in this process, loopback only). For each N it reports the
// wall time, the cost per profile, the CLI's CPU and peak RSS, and what the sandbox itself cost,
// so that a slow sandbox cannot pass for a slow CLI. These runs are unpaced (HH_RATE_LIMIT=0).
//
// Then one paced run: PACED.profiles due profiles at `--rate PACED.rate` against the sandbox
// limited to PACED.limit requests per second per IP (hh.ru's limit, scaled up so that the run
// stays short: 400 profiles at 40/s is a 10 s floor; the pace is 0.8 of the limit, as in
// test/e2e/paced-refresh-all.test.ts). It reports the wall time over its floor (profiles ÷
// rate), which includes start-up: the target is ≤ 1.05×. A 429 fails the run.
//
//   npm run bench:scale                 # 100, 1,000 and 10,000 profiles, then the paced run
//   npm run bench:scale -- 100 1000     # other sizes
//   npm run bench:scale -- --no-paced   # skip the paced run
//   npm run bench:scale -- --json       # one JSON document on stdout
//
// Exits 1 when a run fails or refreshes a different number of profiles than it should.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'hh-oauth');
const args = process.argv.slice(2);
const asJson = args.includes('--json');
const withPaced = !args.includes('--no-paced');
const sizes = args.filter((a) => /^\d+$/.test(a)).map(Number);
if (sizes.length === 0) sizes.push(100, 1000, 10000);
const PACED = { profiles: 400, rate: 40, limit: 50 };
const CONCURRENCY = 8;
const MINT_CONCURRENCY = 16;
const TARGET = { profiles: 1000, seconds: 5 };
const REDIRECT_URI = 'http://127.0.0.1:8400/callback';
const CLIENT = { clientId: 'bench-client', clientSecret: 'bench-secret-not-a-real-one', redirectUri: REDIRECT_URI };
const USER_AGENT = 'hh-oauth-bench/1.0 (bench@example.com)';
const RUN_TIMEOUT_MS = 10 * 60 * 1000;

const say = (line) => (asJson ? process.stderr : process.stdout).write(line + '\n');

// The sandbox is TypeScript; build it once into a temporary module, the way tsup builds the CLI.
// HH_BENCH_DIR: where the token files go (default: the system temp dir), e.g. to compare filesystems.
const work = mkdtempSync(join(process.env.HH_BENCH_DIR ?? tmpdir(), 'hh-oauth-bench-scale-'));
await build({
  entry: { sandbox: join(root, 'src/sandbox/index.ts') },
  outDir: join(work, 'sandbox'),
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  config: false,
  silent: true,
});
const { startSandbox } = await import(join(work, 'sandbox', 'sandbox.js'));

// Reports the child's own figures from inside it (getrusage), written to fd 3 as it exits.
// The main thread's share comes from /proc (clock ticks, 10 ms): JavaScript runs there, fs work in libuv's pool.
const probe = `import { readFileSync, writeSync } from 'node:fs';
process.on('exit', () => {
  const cpu = process.cpuUsage();
  let mainUs;
  try {
    const stat = readFileSync('/proc/self/task/' + process.pid + '/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    mainUs = (Number(f[11]) + Number(f[12])) * 10000;
  } catch {}
  try { writeSync(3, JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, cpuUs: cpu.user + cpu.system, mainUs }) + '\\n'); } catch {}
});`;
const probeUrl = `data:text/javascript,${encodeURIComponent(probe)}`;

/** A real grant: the browser step, then the code exchange, both over HTTP. */
async function mint(sandbox) {
  const url = new URL(sandbox.env.HH_AUTHORIZE_URL);
  url.search = new URLSearchParams({ response_type: 'code', client_id: CLIENT.clientId, redirect_uri: REDIRECT_URI }).toString();
  const page = await fetch(url, { redirect: 'manual', headers: { 'User-Agent': 'bench-browser/1.0' } });
  const code = new URL(page.headers.get('location')).searchParams.get('code');
  const response = await fetch(sandbox.env.HH_TOKEN_URL, {
    method: 'POST',
    headers: { 'User-Agent': USER_AGENT, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, code, redirect_uri: REDIRECT_URI }),
  });
  if (response.status !== 200) throw new Error(`minting failed: HTTP ${response.status}`);
  return response.json();
}

/** Writes N profile files from real grants, as `exchange` would have stored them. */
async function prepare(sandbox, dir, n) {
  const profiles = join(dir, 'state', 'profiles');
  mkdirSync(profiles, { recursive: true, mode: 0o700 });
  let next = 0;
  let latestExpiry = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: MINT_CONCURRENCY }, async () => {
      while (next < n) {
        const i = next++;
        const grant = await mint(sandbox);
        const obtained = Date.now();
        const expires = obtained + grant.expires_in * 1000;
        latestExpiry = Math.max(latestExpiry, expires);
        const record = { ...grant, obtained_at: new Date(obtained).toISOString(), expires_at: new Date(expires).toISOString() };
        await writeFile(join(profiles, `p${String(i).padStart(6, '0')}.json`), JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
      }
    }),
  );
  return { latestExpiry, mintSeconds: (performance.now() - started) / 1000 };
}

/** Rewrites every profile as valid for a day (tokens never issued: a not-due run must not reach hh.ru). */
async function markNotDue(dir, n) {
  const profiles = join(dir, 'state', 'profiles');
  const now = Date.now();
  const record = {
    access_token: 'BENCHNOTDUE', token_type: 'bearer', expires_in: 86400, refresh_token: 'BENCHNOTDUE',
    obtained_at: new Date(now).toISOString(), expires_at: new Date(now + 86400_000).toISOString(),
  };
  const text = JSON.stringify(record, null, 2) + '\n';
  for (let i = 0; i < n; i += 256) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 256); j++) batch.push(writeFile(join(profiles, `p${String(j).padStart(6, '0')}.json`), text, { mode: 0o600 }));
    await Promise.all(batch);
  }
}

function runCli(cliArgs, env) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // HH_BENCH_NODE_OPTIONS: extra node flags for the measured run, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    const extra = process.env.HH_BENCH_NODE_OPTIONS?.split(' ').filter(Boolean) ?? [];
    const child = spawn(process.execPath, [...extra, '--import', probeUrl, bin, ...cliArgs], { env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let probed = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdio[3].on('data', (d) => (probed += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      const figures = probed ? JSON.parse(probed) : {};
      resolve({ code, seconds, stdout, stderr, ...figures });
    });
  });
}

function envFor(sandbox, dir) {
  return {
    PATH: process.env.PATH,
    ...sandbox.env,
    HH_USER_AGENT: USER_AGENT,
    // The scale runs measure the CLI's own cost; the paced run gives --rate.
    HH_RATE_LIMIT: '0',
    // A 429 in the paced run must show as a failed profile, not be retried away.
    HH_HTTP_RETRIES: '0',
    HH_TOKEN_FILE: join(dir, 'state', 'token.json'),
    HH_CONFIG_DIR: join(dir, 'config'),
    ...(process.env.UV_THREADPOOL_SIZE ? { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE } : {}),
  };
}

async function measure(n) {
  const dir = mkdtempSync(join(work, `n${n}-`));
  const sandbox = await startSandbox({ expiresIn: 1, clients: [CLIENT] });
  try {
    const { latestExpiry, mintSeconds } = await prepare(sandbox, dir, n);
    // Every access token must have expired (at the sandbox and in the file) before the run.
    await new Promise((r) => setTimeout(r, Math.max(0, latestExpiry - Date.now()) + 100));
    const refreshedBefore = sandbox.stats().refreshed;
    const sandboxCpuBefore = process.cpuUsage();
    const run = await runCli(['refresh', '--all', '--concurrency', String(CONCURRENCY)], envFor(sandbox, dir));
    const sandboxCpu = process.cpuUsage(sandboxCpuBefore);
    const refreshed = sandbox.stats().refreshed - refreshedBefore;
    // The same directory again with nothing due: what every 10-minute expiry-timer run costs.
    await markNotDue(dir, n);
    const idle = await runCli(['refresh', '--all', '--concurrency', String(CONCURRENCY)], envFor(sandbox, dir));
    const ok = run.code === 0 && refreshed === n && idle.code === 0 && sandbox.stats().refreshed - refreshedBefore === n;
    if (!ok) say(`  n=${n}: exit ${run.code}/${idle.code}, refreshed ${refreshed} of ${n}\n${run.stderr.trim()}\n${idle.stderr.trim()}`);
    return {
      profiles: n,
      ok,
      exit_code: run.code,
      refreshed,
      wall_s: run.seconds,
      ms_per_profile: (run.seconds * 1000) / n,
      cli_cpu_ms_per_profile: run.cpuUs / 1000 / n,
      cli_main_thread_cpu_ms_per_profile: run.mainUs / 1000 / n,
      peak_rss_mib: run.maxRssKiB / 1024,
      sandbox_cpu_ms_per_refresh: (sandboxCpu.user + sandboxCpu.system) / 1000 / n,
      mint_grants_per_s: n / mintSeconds,
      not_due_pass_s: idle.seconds,
      not_due_pass_peak_rss_mib: idle.maxRssKiB / 1024,
      summary: run.stderr.trim().split('\n').at(-1),
    };
  } finally {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** PACED.profiles due profiles at --rate PACED.rate against a sandbox limited to PACED.limit per second per IP. */
async function measurePaced() {
  const { profiles: n, rate, limit } = PACED;
  const dir = mkdtempSync(join(work, 'paced-'));
  const sandbox = await startSandbox({ expiresIn: 1, clients: [CLIENT] });
  try {
    const { latestExpiry } = await prepare(sandbox, dir, n);
    await new Promise((r) => setTimeout(r, Math.max(0, latestExpiry - Date.now()) + 100));
    // Minted unlimited; limited from here on, as hh.ru would be.
    sandbox.setRateLimit(limit);
    const before = sandbox.stats();
    const run = await runCli(['refresh', '--all', '--concurrency', String(CONCURRENCY), '--rate', String(rate)], envFor(sandbox, dir));
    const after = sandbox.stats();
    const refreshed = after.refreshed - before.refreshed;
    const rateLimited = after.rateLimited - before.rateLimited;
    const ok = run.code === 0 && refreshed === n && rateLimited === 0;
    if (!ok) say(`  paced: exit ${run.code}, refreshed ${refreshed} of ${n}, ${rateLimited} answered 429\n${run.stderr.trim()}`);
    const floor = n / rate;
    return { profiles: n, rate, sandbox_limit: limit, ok, exit_code: run.code, refreshed, rate_limited: rateLimited, wall_s: run.seconds, floor_s: floor, ratio: run.seconds / floor, summary: run.stderr.trim().split('\n').at(-1) };
  } finally {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Start-up and listing with nothing to do: one not-due profile. */
async function baseline() {
  const dir = mkdtempSync(join(work, 'baseline-'));
  const sandbox = await startSandbox({ expiresIn: 3600, clients: [CLIENT] });
  try {
    await prepare(sandbox, dir, 1);
    const runs = [];
    for (let i = 0; i < 5; i++) runs.push(await runCli(['refresh', '--all'], envFor(sandbox, dir)));
    const walls = runs.map((r) => r.seconds).sort((a, b) => a - b);
    return { wall_s: walls[2], peak_rss_mib: Math.max(...runs.map((r) => r.maxRssKiB)) / 1024 };
  } finally {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  say(`hh-oauth scale benchmark: refresh --all --concurrency ${CONCURRENCY}, every profile due, sandbox in this process (${process.version}, ${process.platform})`);
  const base = await baseline();
  say(`baseline (start-up + listing, 1 profile not due): ${base.wall_s.toFixed(3)} s, peak RSS ${base.peak_rss_mib.toFixed(1)} MiB`);
  const results = [];
  for (const n of sizes) {
    const r = await measure(n);
    r.marginal_ms_per_profile = ((r.wall_s - base.wall_s) * 1000) / n;
    results.push(r);
    say(`  ${n} profiles done: ${r.summary}`);
  }

  const header = ['profiles', 'wall', 'per profile', 'marginal', 'CLI CPU/profile', 'of it main thread', 'peak RSS', 'sandbox CPU/refresh', 'none due: wall', 'mint rate'];
  const rows = results.map((r) => [
    r.profiles.toLocaleString('en-US'),
    `${r.wall_s.toFixed(2)} s`,
    `${r.ms_per_profile.toFixed(2)} ms`,
    `${r.marginal_ms_per_profile.toFixed(2)} ms`,
    `${r.cli_cpu_ms_per_profile.toFixed(2)} ms`,
    `${r.cli_main_thread_cpu_ms_per_profile.toFixed(2)} ms`,
    `${r.peak_rss_mib.toFixed(1)} MiB`,
    `${r.sandbox_cpu_ms_per_refresh.toFixed(3)} ms`,
    `${r.not_due_pass_s.toFixed(2)} s`,
    `${Math.round(r.mint_grants_per_s)} grants/s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  say('');
  for (const row of [header, ...rows]) say(row.map((c, i) => c.padStart(widths[i])).join('  '));

  const target = results.find((r) => r.profiles === TARGET.profiles);
  if (target) {
    const met = target.ok && target.wall_s < TARGET.seconds;
    say(`\ntarget: ${TARGET.profiles.toLocaleString('en-US')} profiles under ${TARGET.seconds} s at concurrency ${CONCURRENCY}: ${met ? 'met' : 'NOT met'} (${target.wall_s.toFixed(2)} s)`);
  }
  if (results.length > 1) {
    const marginals = results.map((r) => r.marginal_ms_per_profile);
    say(`per-profile cost (marginal, start-up excluded) from ${results[0].profiles} to ${results.at(-1).profiles}: ${marginals.map((m) => m.toFixed(2)).join(' → ')} ms (max/min ${(Math.max(...marginals) / Math.min(...marginals)).toFixed(2)})`);
  }
  let paced;
  if (withPaced) {
    paced = await measurePaced();
    say(`\npaced: ${paced.profiles} profiles at --rate ${paced.rate} against a sandbox limited to ${paced.sandbox_limit}/s: ${paced.wall_s.toFixed(2)} s for a floor of ${paced.floor_s.toFixed(2)} s = ${paced.ratio.toFixed(3)}x (target ≤ 1.05x), ${paced.rate_limited} answered 429`);
  }
  if (asJson) process.stdout.write(JSON.stringify({ concurrency: CONCURRENCY, baseline: base, results, paced }) + '\n');
  if (results.some((r) => !r.ok) || (paced && !paced.ok)) process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
