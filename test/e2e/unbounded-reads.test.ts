import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  canUseLocalUsers, deadProcess, findTool, homeFor, jsonOut, localGroup, localUser, nobodyCanRunCli, OTHER_USER, requires, runCli, SERVICE_USER,
  storeGrant, TOKEN_GROUP, tokenPosts, useHarness, waitForExpiry, type LocalUser, type RunResult,
} from '../helpers';

/**
 * Files that are not what they should be, put where hh-oauth reads: a FIFO (opening it
 * waits for a writer that never comes), a link to /dev/zero (endless), a 2 GB file. Each
 * read must end at once with exit 7 naming the file, hold little memory, and every wait
 * must stay under its timeout. And a stale lock that this user may not remove (another
 * owner, a sticky directory) is a store problem (exit 7, naming the owner and the fix),
 * not "a bug in hh-oauth" (exit 1, which systemd would not retry).
 */
const EXPIRES_IN = 1;
const h = useHarness({ expiresIn: EXPIRES_IN });
const TIME = '/usr/bin/time';
const canMeasure = !!findTool('mkfifo') && !!findTool('truncate') && existsSync(TIME);
const NEEDS_TOOLS = 'mkfifo, truncate and GNU time (/usr/bin/time, for peak memory)';

/**
 * Quick and small: peak memory from GNU time; a run that hangs is killed after 8 s by
 * timeout(1), inside time(1), so that the killed one is the CLI itself (exit 137).
 */
async function measured(args: string[], env: Record<string, string | undefined> = {}, wrap: string[] = []): Promise<RunResult & { ms: number; peakMiB: number }> {
  const started = performance.now();
  const out = await runCli(args, { env: h.env(env), wrap: [TIME, '-f', 'peak-rss-kib=%M', 'timeout', '-s', 'KILL', '8', ...wrap], timeoutMs: 15_000, secretStdout: true });
  const ms = performance.now() - started;
  const kib = Number(/peak-rss-kib=(\d+)/.exec(out.stderr)?.[1] ?? NaN);
  return { ...out, ms, peakMiB: kib / 1024 };
}

/** Exit 7 within a few seconds and a little memory, with one JSON error whose message matches. */
function expectPromptRefusal(out: Awaited<ReturnType<typeof measured>>, message: RegExp): void {
  expect(out.code, `exit ${out.code} after ${out.ms.toFixed(0)} ms (137: it hung): ${out.stderr}`).toBe(7);
  expect(out.ms).toBeLessThan(5000);
  expect(out.peakMiB, 'peak memory (MiB)').toBeLessThan(150);
  expect(jsonOut(out).error.message).toMatch(message);
}

const mkfifo = (path: string) => expect(spawnSync('mkfifo', ['-m', '0600', path]).status).toBe(0);
const sparse = (path: string, size: string) => {
  writeFileSync(path, '{"access_token":"A","refresh_token":"R","expires_in":1}', { mode: 0o600 });
  expect(spawnSync('truncate', ['-s', size, path]).status).toBe(0);
};

describe('the token file', { timeout: 60_000 }, () => {
  it('a FIFO: refresh, status and token end at once with exit 7 (no open that waits for a writer)', async (ctx) => {
    requires(ctx, NEEDS_TOOLS, canMeasure);
    mkdirSync(join(h.dir, 'state'), { mode: 0o700 });
    mkfifo(h.tokenFile);
    for (const args of [['refresh', '--json'], ['status', '--json'], ['token', '--json']]) {
      const out = await measured(args);
      if (args[0] === 'status') {
        // status answers with its document (state "corrupt", the problem named) and exit 7.
        expect(out.code, `exit ${out.code} after ${out.ms.toFixed(0)} ms (137: it hung): ${out.stderr}`).toBe(7);
        expect(out.ms).toBeLessThan(5000);
        expect(jsonOut(out).problem).toMatch(/token\.json is not a regular file \(a FIFO\)/);
      } else expectPromptRefusal(out, /token\.json is not a regular file \(a FIFO\)/);
    }
  });

  it('2 GB (sparse): refused by its size, never read whole', async (ctx) => {
    requires(ctx, NEEDS_TOOLS, canMeasure);
    mkdirSync(join(h.dir, 'state'), { mode: 0o700 });
    sparse(h.tokenFile, '2G');
    for (const args of [['refresh', '--json'], ['token', '--json']]) {
      expectPromptRefusal(await measured(args), /token\.json is larger than 8 MiB \(2\.0 GiB\)/);
    }
    const status = await measured(['status', '--json']);
    expect(status.peakMiB).toBeLessThan(150);
    expect(jsonOut(status).problem).toMatch(/larger than 8 MiB/);
  });

  it('the application token file as a FIFO, and at 2 GB: `token --app` ends at once', async (ctx) => {
    requires(ctx, NEEDS_TOOLS, canMeasure);
    mkdirSync(join(h.dir, 'state'), { mode: 0o700 });
    const app = join(h.dir, 'state', 'app-token.json');
    mkfifo(app);
    expectPromptRefusal(await measured(['token', '--app', '--json']), /app-token\.json is not a regular file \(a FIFO\)/);
    spawnSync('rm', [app]);
    sparse(app, '2G');
    expectPromptRefusal(await measured(['token', '--app', '--json']), /app-token\.json is larger than 8 MiB/);
  });

  it('a FIFO under the kept-pair name: exit 7 at once, and no refresh past it', async (ctx) => {
    requires(ctx, NEEDS_TOOLS, canMeasure);
    await storeGrant(h, h.tokenFile);
    await waitForExpiry(EXPIRES_IN);
    const { createHash } = await import('node:crypto');
    const kept = join(h.dir, 'state', `.token.json.${createHash('sha256').update(readFileSync(h.tokenFile)).digest('hex').slice(0, 16)}.tmp`);
    mkfifo(kept);
    const posts = tokenPosts(h);
    expectPromptRefusal(await measured(['refresh', '--json']), /\.tmp is not a regular file \(a FIFO\)/);
    expect(tokenPosts(h)).toBe(posts);
  });
});

describe('the lock', { timeout: 60_000 }, () => {
  it('a FIFO: exit 7 at once, well inside HH_LOCK_TIMEOUT', async (ctx) => {
    requires(ctx, NEEDS_TOOLS, canMeasure);
    await h.login();
    mkfifo(`${h.tokenFile}.lock`);
    expectPromptRefusal(await measured(['refresh', '--force', '--json'], { HH_LOCK_TIMEOUT: '2' }), /the lock \S+token\.json\.lock is not a regular file \(a FIFO\)/);
  });

  it('a link to /dev/zero: exit 7 at once, nothing read from it', async (ctx) => {
    requires(ctx, NEEDS_TOOLS, canMeasure);
    await h.login();
    symlinkSync('/dev/zero', `${h.tokenFile}.lock`);
    expectPromptRefusal(await measured(['refresh', '--force', '--json'], { HH_LOCK_TIMEOUT: '2' }), /the lock \S+token\.json\.lock is a symbolic link/);
  });

  it('a breaker that is a FIFO beside a stale lock: exit 7 at once', async (ctx) => {
    requires(ctx, NEEDS_TOOLS, canMeasure);
    await h.login();
    const dead = await deadProcess();
    writeFileSync(`${h.tokenFile}.lock`, JSON.stringify({ pid: dead.pid, start: dead.start, host: hostname() }), { mode: 0o600 });
    mkfifo(`${h.tokenFile}.lock.break`);
    expectPromptRefusal(await measured(['refresh', '--force', '--json'], { HH_LOCK_TIMEOUT: '2' }), /token\.json\.lock\.break is not a regular file \(a FIFO\)/);
  });
});

describe('a stale lock this user may not remove (another owner, a sticky directory)', () => {
  let service: LocalUser;
  let other: LocalUser;
  const usable = canUseLocalUsers && nobodyCanRunCli();
  beforeAll(() => {
    if (!usable) return;
    localGroup(TOKEN_GROUP);
    service = localUser(SERVICE_USER, [TOKEN_GROUP]);
    other = localUser(OTHER_USER);
  });

  /** The service user's token file in a sticky, world-writable directory, and a stale lock (or breaker) that the other user owns. */
  async function staleOfAnother(name: string): Promise<string> {
    chmodSync(h.dir, 0o755);
    mkdirSync(join(h.dir, 'state'), { mode: 0o1777 });
    chmodSync(join(h.dir, 'state'), 0o1777);
    await storeGrant(h, h.tokenFile);
    chownSync(h.tokenFile, service.uid, service.gid);
    const dead = await deadProcess();
    const path = `${h.tokenFile}${name}`;
    writeFileSync(path, JSON.stringify({ pid: dead.pid, start: dead.start, host: hostname() }), { mode: 0o644 });
    chownSync(path, other.uid, other.gid);
    return path;
  }

  it.for([['the lock', '.lock'], ['its breaker', '.lock.break']] as const)('%s: exit 7 naming the owner and the fix, not exit 1', async ([, suffix], ctx) => {
    requires(ctx, `${NEEDS_TOOLS}; root, useradd and setpriv (real local users)`, usable && canMeasure);
    const stale = await staleOfAnother(suffix);
    if (suffix === '.lock.break') {
      const dead = await deadProcess();
      writeFileSync(`${h.tokenFile}.lock`, JSON.stringify({ pid: dead.pid, start: dead.start, host: hostname() }), { mode: 0o644 });
      chownSync(`${h.tokenFile}.lock`, service.uid, service.gid);
    }
    const posts = tokenPosts(h);
    const out = await measured(['refresh', '--force', '--json'], { ...homeFor(service, h.dir), HH_LOCK_TIMEOUT: '3' }, service.wrap());
    expect(out.code, out.stderr).toBe(7);
    const { error } = jsonOut(out);
    expect(error.message).toContain(stale);
    expect(error.message).toMatch(new RegExp(`belongs to ${OTHER_USER}`));
    expect(error.message).toMatch(/sticky/);
    expect(error.suggestion).toMatch(new RegExp(`sudo rm ${stale.replace(/[.]/g, '\\.')}`));
    expect(out.ms).toBeLessThan(5000);
    expect(tokenPosts(h)).toBe(posts);
    expect(existsSync(stale)).toBe(true);
  });
});
