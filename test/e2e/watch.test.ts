import { chmodSync, cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { captured, REPO_ROOT, freePort, jsonOut, lateTokenEndpoint, parseMetrics, readJson, revokeAtSandbox, startCli, storeGrant, tokenPosts, useHarness, waitUntilExpired, type LiveCli } from '../helpers';

/**
 * `refresh --watch` through the built CLI against the sandbox, with tokens that live a few
 * seconds: it refreshes at expiry (not on a tick), backs off through an outage, retries a
 * clock-skew answer, leaves a dead profile alone without stopping the others, and stops on
 * SIGTERM only after the pair in flight is stored. Every line it prints is in the harness's
 * leak scan.
 */
const EXPIRES_IN = 3;
const h = useHarness({ expiresIn: EXPIRES_IN });

interface Event {
  time: string;
  level: string;
  event: string;
  profile?: string;
  [key: string]: unknown;
}

/** The worker's JSON events so far; every stderr line must be one. */
function events(cli: LiveCli, stderr: () => string): Event[] {
  void cli;
  return stderr()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        return JSON.parse(line) as Event;
      } catch {
        throw new Error(`not a JSON line on stderr: ${line}`);
      }
    });
}

interface Watch {
  cli: LiveCli;
  port: number;
  events(): Event[];
  /** Resolves with the first event matching, waiting up to ms. */
  next(match: (e: Event) => boolean, ms?: number): Promise<Event>;
  get(path: string): Promise<{ status: number; text: string; type: string | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A worker that a failed test left running would go on spending the sandbox's tokens (and faults) in the next test. */
const running = new Set<LiveCli>();
afterEach(() => {
  for (const cli of running) if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
  running.clear();
});

async function watch(args: string[], env: Record<string, string | undefined> = {}, bin?: string): Promise<Watch> {
  const port = await freePort();
  const cli = startCli(['refresh', '--watch', '--log-format', 'json', '--listen', String(port), ...args], h.env(env), 90_000, bin);
  running.add(cli);
  let stderr = '';
  cli.child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const all = () => events(cli, () => stderr);
  await cli.waitFor(/"event":"started"/);
  return {
    cli,
    port,
    events: all,
    next: async (match, ms = 15_000) => {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = all().find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no such event within ${ms} ms; events:\n${stderr}`);
        if (cli.child.exitCode !== null) throw new Error(`the worker exited (${cli.child.exitCode}); events:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    get: async (path) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      const text = await res.text();
      captured.push(text); // the leak scan reads /healthz and /metrics too
      return { status: res.status, text, type: res.headers.get('content-type') };
    },
    stop: async (signal = 'SIGTERM') => {
      cli.child.kill(signal);
      const done = await cli.done;
      return { code: done.code, signal: done.signal as NodeJS.Signals | null };
    },
  };
}

/** The stored pair is hh.ru's live one: once it expires, a plain `refresh` spends it and gets the next. */
async function storedPairIsLive(): Promise<void> {
  await waitUntilExpired(h.tokenFile);
  const out = await h.run(['refresh', '--json']);
  expect(out.code, out.stderr).toBe(0);
  expect(jsonOut(out).status).toBe('refreshed');
}

describe('refresh --watch: refreshes at expiry', () => {
  it('refreshes within 2 s of each expiry, serves /healthz and /metrics, and exits 0 on SIGTERM', async () => {
    const first = await storeGrant(h, h.tokenFile);
    const w = await watch([]);
    const started = w.events()[0]!;
    expect(started).toMatchObject({ event: 'started', level: 'info', mode: 'profile', profile: 'default', listen: `127.0.0.1:${w.port}` });

    // 503 "starting" until the store has been read once, then 200.
    let health = await w.get('/healthz');
    while (health.status === 503 && JSON.parse(health.text).status === 'starting') health = await w.get('/healthz');
    expect(health.status).toBe(200);
    expect(health.type).toMatch(/^application\/json/);
    const doc = JSON.parse(health.text);
    expect(doc).toMatchObject({ status: 'ok', ready: true, profiles: 1, needs_person: [], needs_person_total: 0, next_expiry: first.expires_at });

    const refreshed = await w.next((e) => e.event === 'refreshed');
    const late = Date.parse(refreshed.time) - Date.parse(first.expires_at as string);
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(2000);
    // A second expiry, planned from the new pair: again on time, not on a tick.
    const second = readJson(h.tokenFile);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(refreshed.expires_at).toBe(second.expires_at);
    const again = await w.next((e) => e.event === 'refreshed' && e.expires_at !== second.expires_at);
    expect(Date.parse(again.time) - Date.parse(second.expires_at)).toBeLessThan(2000);
    expect(Date.parse(again.time) - Date.parse(second.expires_at)).toBeGreaterThanOrEqual(0);

    const metrics = await w.get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parseMetrics(metrics.text);
    const now = readJson(h.tokenFile);
    expect(families.hh_oauth_token_expiry_timestamp_seconds).toEqual({ type: 'gauge', samples: [{ labels: { profile: 'default' }, value: Math.floor(Date.parse(now.expires_at) / 1000) }] });
    expect(families.hh_oauth_last_refresh_timestamp_seconds!.samples[0]!.value).toBeGreaterThanOrEqual(Math.floor(Date.parse(again.time) / 1000) - 1);
    expect(families.hh_oauth_token_state!.samples).toEqual([{ labels: { profile: 'default', state: 'valid' }, value: 1 }]);
    expect(families.hh_oauth_refresh_failures_total).toEqual({ type: 'counter', samples: [] });
    expect(families.hh_oauth_needs_person!.samples).toEqual([{ labels: { profile: 'default' }, value: 0 }]);
    expect(families.process_start_time_seconds!.samples[0]!.value).toBeGreaterThan(0);

    expect((await w.get('/nope')).status).toBe(404);
    const out = await w.stop('SIGTERM');
    expect(out).toEqual({ code: 0, signal: null });
    expect(w.events().slice(-2).map((e) => e.event)).toEqual(['stopping', 'stopped']);
    expect(w.events().at(-2)).toMatchObject({ signal: 'SIGTERM' });
    await storedPairIsLive();
  });

  it('with --all: picks up a profile added while it sleeps; a dead profile is reported (503) and left alone, the others go on', async () => {
    await storeGrant(h, h.tokenFile);
    const dead = await storeGrant(h, h.profileFile('dead'));
    await revokeAtSandbox(h, dead.access_token as string);
    const w = await watch(['--all']);
    expect(w.events()[0]).toMatchObject({ event: 'started', mode: 'all' });

    const failed = await w.next((e) => e.event === 'failed' && e.profile === 'dead');
    expect(failed).toMatchObject({ level: 'error', exit_class: 'reauthorize', exit_code: 4, retry: 'when_changed' });
    await w.next((e) => e.event === 'refreshed' && e.profile === 'default');
    const health = await w.get('/healthz');
    expect(health.status).toBe(503);
    expect(JSON.parse(health.text)).toMatchObject({ status: 'needs_person', ready: true, profiles: 2, needs_person_total: 1, needs_person: [{ profile: 'dead', exit_class: 'reauthorize', exit_code: 4 }] });

    // A profile that `login` adds elsewhere, seen at the next wake, refreshed at its expiry.
    const added = await storeGrant(h, h.profileFile('added'));
    const addedRefresh = await w.next((e) => e.event === 'refreshed' && e.profile === 'added');
    expect(Date.parse(addedRefresh.time) - Date.parse(added.expires_at as string)).toBeLessThan(2000);
    // The dead one was tried once, whatever the wakes since.
    expect(w.events().filter((e) => e.profile === 'dead')).toHaveLength(1);

    // New content (a login again) lifts the block: refreshed at its expiry, and healthy again.
    const revived = await storeGrant(h, h.profileFile('dead'));
    const back = await w.next((e) => e.event === 'refreshed' && e.profile === 'dead');
    expect(Date.parse(back.time) - Date.parse(revived.expires_at as string)).toBeLessThan(2000);
    expect((await w.get('/healthz')).status).toBe(200);
    const families = parseMetrics((await w.get('/metrics')).text);
    expect(families.hh_oauth_refresh_failures_total!.samples).toEqual([{ labels: { profile: 'dead', exit_class: 'reauthorize' }, value: 1 }]);
    expect(await w.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });
});

describe('refresh --watch: started before the login', () => {
  it('no token file yet: reported once (503), then the login\'s pair is picked up at the next read and refreshed', async () => {
    const w = await watch([]);
    const failed = await w.next((e) => e.event === 'failed');
    expect(failed).toMatchObject({ profile: 'default', exit_class: 'reauthorize', exit_code: 4, retry: 'when_changed' });
    expect(failed.message).toContain('no token file at');
    const health = await w.get('/healthz');
    expect(health.status).toBe(503);
    expect(JSON.parse(health.text)).toMatchObject({ status: 'needs_person', next_expiry: null });
    const stored = await storeGrant(h, h.tokenFile);
    // Seen at the next read of the store: within 10 s for a store this small.
    const refreshed = await w.next((e) => e.event === 'refreshed', 15_000);
    expect(Date.parse(refreshed.time) - Date.parse(stored.expires_at as string)).toBeLessThan(10_000);
    expect(w.events().filter((e) => e.event === 'failed')).toHaveLength(1);
    expect((await w.get('/healthz')).status).toBe(200);
    expect(await w.stop()).toEqual({ code: 0, signal: null });
  });
});

describe('refresh --watch: back-off', () => {
  it('an outage at the token endpoint: retries after 5 s, then 10 s, then refreshes once hh.ru is back', async () => {
    const first = await storeGrant(h, h.tokenFile);
    h.sandbox.fault({ kind: 'html', status: 503, path: '/token' });
    const w = await watch([]);
    const one = await w.next((e) => e.event === 'failed');
    expect(one).toMatchObject({ level: 'warn', exit_class: 'temporary', exit_code: 6, retry_in_seconds: 5 });
    const health = await w.get('/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toMatchObject({ status: 'retrying', retrying: 1, needs_person_total: 0 });
    const two = await w.next((e) => e.event === 'failed' && e !== one && e.time !== one.time, 10_000);
    expect(two).toMatchObject({ exit_class: 'temporary', retry_in_seconds: 10 });
    const gap = Date.parse(two.time) - Date.parse(one.time);
    expect(gap).toBeGreaterThanOrEqual(5000);
    expect(gap).toBeLessThan(7000);
    h.sandbox.fault(null);
    const refreshed = await w.next((e) => e.event === 'refreshed', 15_000);
    expect(Date.parse(refreshed.time) - Date.parse(two.time)).toBeGreaterThanOrEqual(10_000);
    expect(readJson(h.tokenFile).refresh_token).not.toBe(first.refresh_token);
    const families = parseMetrics((await w.get('/metrics')).text);
    expect(families.hh_oauth_refresh_failures_total!.samples).toEqual([{ labels: { profile: 'default', exit_class: 'temporary' }, value: 2 }]);
    expect(await w.stop()).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('"token not expired" at our expiry (clocks apart): tries again after 1 s, then 2 s, and then refreshes', async () => {
    await storeGrant(h, h.tokenFile);
    h.sandbox.fault({ kind: 'answer', documented: 'invalid_grant/token not expired', path: '/token', times: 2 });
    const w = await watch([]);
    const refreshed = await w.next((e) => e.event === 'refreshed', 20_000);
    const skews = w.events().filter((e) => e.event === 'not_due');
    expect(skews.map((e) => [e.reason, e.retry_in_seconds])).toEqual([
      ['clock_skew', 1],
      ['clock_skew', 2],
    ]);
    expect(Date.parse(skews[1]!.time) - Date.parse(skews[0]!.time)).toBeGreaterThanOrEqual(1000);
    expect(Date.parse(refreshed.time) - Date.parse(skews[1]!.time)).toBeGreaterThanOrEqual(2000);
    expect(Date.parse(refreshed.time) - Date.parse(skews[1]!.time)).toBeLessThan(3500);
    expect(await w.stop()).toEqual({ code: 0, signal: null });
  }, 30_000);
});

describe('refresh --watch: a grant whose lifetime is already over', () => {
  // hh.ru (or something answering as hh.ru) grants a pair with expires_in 0, negative, absurdly
  // large or missing: the pair is stored as due at once (token/record.ts). The worker must not
  // spend it again at once, and again: one grant per back-off step, not a grant per round trip.
  it.each([0, -60, 1e12])('expires_in %s: grants are spaced by the clock-skew back-off, not back to back', async (expiresIn) => {
    await storeGrant(h, h.tokenFile);
    const body = { access_token: 'Z'.repeat(64), token_type: 'bearer', refresh_token: 'Y'.repeat(64), expires_in: expiresIn };
    h.sandbox.fault({ kind: 'answer', status: 200, body, path: '/token' });
    const before = tokenPosts(h);
    const w = await watch([]);
    const first = await w.next((e) => e.event === 'refreshed', 10_000);
    await new Promise((r) => setTimeout(r, 4000));
    const grants = tokenPosts(h) - before;
    h.sandbox.fault(null);
    expect(await w.stop()).toEqual({ code: 0, signal: null });
    // In 4 s after the first: the retries at +1 s and +2 s (+3 s in all), at most one more for timing.
    expect(grants, `${grants} grants; events:\n${w.events().map((e) => JSON.stringify(e)).join('\n')}`).toBeLessThanOrEqual(4);
    expect(first.expires_at).toBeDefined();
  }, 30_000);
});

describe('refresh --watch: the lock busy for longer than HH_LOCK_TIMEOUT', () => {
  // Another refresher holds the lock (a timer run, a frozen process, one in another container
  // whose lock someone removes by hand, as docs/kubernetes.md says), and lets it go without
  // changing the token: exit 7, "retry later". The worker must retry, not wait for new content.
  it('retries after the lock is free again, although the token itself never changed', async () => {
    const first = await storeGrant(h, h.tokenFile);
    await waitUntilExpired(h.tokenFile);
    h.sandbox.fault({ kind: 'hang', path: '/token' });
    // The holder: a plain refresh, stuck at hh.ru for 4 s under the lock, then failing (exit 6), the file untouched.
    const holder = h.run(['refresh'], { env: { HH_HTTP_TIMEOUT: '4', HH_HTTP_RETRIES: '0' } });
    await new Promise((r) => setTimeout(r, 700));
    const w = await watch([], { HH_LOCK_TIMEOUT: '1' });
    const failed = await w.next((e) => e.event === 'failed', 10_000);
    expect(failed).toMatchObject({ exit_class: 'store', exit_code: 7 });
    expect(failed.message).toContain('waiting for the lock');
    expect((await holder).code).toBe(6);
    h.sandbox.fault(null);
    expect(readJson(h.tokenFile).refresh_token).toBe(first.refresh_token);
    const refreshed = await w.next((e) => e.event === 'refreshed', 20_000);
    expect(refreshed.profile).toBe('default');
    expect((await w.get('/healthz')).status).toBe(200);
    expect(await w.stop()).toEqual({ code: 0, signal: null });
  }, 60_000);
});

describe('refresh --watch: SIGTERM', () => {
  it('during the grant (hh.ru has answered, the answer is on its way): the pair is stored, then exit 0', async () => {
    const first = await storeGrant(h, h.tokenFile);
    const late = await lateTokenEndpoint(h.sandbox.env.HH_TOKEN_URL, 1500);
    try {
      const w = await watch([], { HH_TOKEN_URL: late.url });
      await late.spent;
      const out = await w.stop('SIGTERM');
      expect(out).toEqual({ code: 0, signal: null });
      const names = w.events().map((e) => e.event);
      expect(names.indexOf('stopping')).toBeLessThan(names.indexOf('refreshed'));
      expect(names.slice(-1)).toEqual(['stopped']);
      const stored = readJson(h.tokenFile);
      expect(stored.refresh_token).not.toBe(first.refresh_token);
      expect(h.sandbox.issued()).toContain(stored.refresh_token);
      await storedPairIsLive();
    } finally {
      await late.close();
    }
  });
});

describe('refresh --watch: the JSON log', () => {
  it('any other line (a warning of the token file\'s mode) is a `log` event, printed once however often the store is read', async () => {
    await storeGrant(h, h.tokenFile);
    chmodSync(h.tokenFile, 0o644);
    const w = await watch([]);
    // Read at the start and again at the expiry's wake (the same warning), then the refresh tightens the mode.
    await w.next((e) => e.event === 'refreshed');
    expect(await w.stop()).toEqual({ code: 0, signal: null });
    // events() has parsed every stderr line as JSON: none was left a bare line.
    const events = w.events();
    expect(events.map((e) => e.event)).toEqual(['started', 'log', 'log', 'refreshed', 'stopping', 'stopped']);
    expect(events[1]).toMatchObject({ level: 'warn', message: expect.stringContaining('has mode 0644, which lets others read the token') });
    expect(events[2]).toMatchObject({ level: 'warn', message: expect.stringContaining('had mode 0644, which lets others read the token; tightened to') });
  });
});

describe('refresh --watch: the human log (the default)', () => {
  it('prints the usual lines, one per event, and no JSON', async () => {
    await storeGrant(h, h.tokenFile);
    chmodSync(h.tokenFile, 0o644);
    const cli = startCli(['refresh', '--watch'], h.env());
    running.add(cli);
    await cli.waitFor(/^watching profile default$/m);
    await cli.waitFor(/default: refreshed; the new access token expires /, 10_000);
    cli.child.kill('SIGTERM');
    const done = await cli.done;
    expect(done.code).toBe(0);
    expect(done.stderr).toMatch(/SIGTERM: stopping/);
    expect(done.stderr).not.toContain('{');
    // The token file's mode warning of the first read, once, although the store was read again at the wake.
    expect(done.stderr.match(/has mode 0644/g)).toHaveLength(1);
    expect(readFileSync(h.tokenFile, 'utf8')).toContain('"obtained_at"');
  });
});

describe('refresh --watch: its flags', () => {
  it.each([
    [['refresh', '--log-format', 'json'], '--log-format only applies to --watch'],
    [['refresh', '--listen', '9464'], '--listen only applies to --watch'],
    [['refresh', '--watch', '--force'], '--force does not apply'],
    [['--json', 'refresh', '--watch'], 'use --log-format json'],
    [['refresh', '--watch', '--concurrency', '2'], '--concurrency only applies to --all'],
    [['refresh', '--watch', '--rate', '2'], '--rate only applies to --all'],
    [['refresh', '--watch', '--all', '--concurrency', '0'], '--concurrency must be a whole number from 1 to 256'],
    [['refresh', '--watch', '--log-format', 'xml'], 'xml'],
    [['refresh', '--watch', '--listen', '70000'], '--listen port must be between 1 and 65535'],
    [['refresh', '--watch', '--listen', 'no port'], '--listen must be HOST:PORT'],
    [['--profile', 'acme', 'refresh', '--watch', '--all'], '--all watches every profile'],
    [['--profile', 'Bad Name', 'refresh', '--watch'], '--profile: the profile name is not valid'],
  ])('%j: exit 2, and nothing started', async (args, message) => {
    const out = await h.run(args);
    expect(out.code, out.stderr).toBe(2);
    expect(out.stderr).toContain(message);
  });

  it('a port that is taken: exit 3 (config), before anything is refreshed', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      const out = await h.run(['refresh', '--watch', '--listen', String(port)]);
      expect(out.code, out.stderr).toBe(3);
      expect(out.stderr).toContain(`--listen 127.0.0.1:${port}: the port is in use`);
    } finally {
      taken.close();
    }
  });
});

describe('refresh --watch: the package upgraded in place under it', () => {
  it('every dist/ chunk replaced after the start: the next refresh still runs (what it loads on first use was loaded at the start)', async () => {
    // A copy of the package, whose dist/ this test may take away as an upgrade would.
    const pkg = mkdtempSync(join(tmpdir(), 'hh-oauth-pkg-'));
    try {
      for (const part of ['bin', 'dist', 'package.json']) cpSync(join(REPO_ROOT, part), join(pkg, part), { recursive: true });
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(pkg, 'node_modules'));
      const first = await storeGrant(h, h.tokenFile);
      const w = await watch([], {}, join(pkg, 'bin', 'hh-oauth'));
      let health = await w.get('/healthz');
      while (health.status === 503 && JSON.parse(health.text).status === 'starting') health = await w.get('/healthz');
      expect(health.status).toBe(200);
      // The upgrade: the old chunks' hashed names are gone (the new version's would be others).
      for (const file of readdirSync(join(pkg, 'dist'))) rmSync(join(pkg, 'dist', file), { recursive: true });
      const refreshed = await w.next((e) => e.event === 'refreshed' || e.event === 'failed');
      expect(refreshed, JSON.stringify(refreshed)).toMatchObject({ event: 'refreshed' });
      expect(readJson(h.tokenFile).refresh_token).not.toBe(first.refresh_token);
      expect(await w.stop()).toEqual({ code: 0, signal: null });
    } finally {
      rmSync(pkg, { recursive: true, force: true });
    }
  });
});
