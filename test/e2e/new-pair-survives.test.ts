import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTokenFile } from '../../src/token/record';
import { AS_NOBODY, isRoot, jsonOut, lateTokenEndpoint, NOBODY, nobodyCanRunCli, PRELOAD, requires, runCli, type RunResult, storeGrant, useHarness, waitForExpiry } from '../helpers';

/**
 * Once hh.ru has answered a grant, the old refresh token (or the code) is spent and the
 * new pair exists only in the process. These cases stop that process in the worst
 * places the outside world can pick: a signal while the answer is on its way, a kill
 * between writing the pair and renaming it, a rename that fails. The pair must end up
 * in the token file, at once or on the next run, without a second grant.
 */
const EXPIRES_IN = 1;
const h = useHarness({ expiresIn: EXPIRES_IN });

const refreshTokenIn = (path: string) => parseTokenFile(readFileSync(path, 'utf8'), statSync(path).mtime, path).refreshToken;
const debris = (path: string) => readdirSync(join(path, '..')).filter((name) => name !== 'token.json');

/** Runs the CLI against the late token endpoint and sends `signal` once hh.ru has spent the grant. */
async function signalledWhileAnswerIsLate(args: string[], signal: NodeJS.Signals, input?: string): Promise<RunResult> {
  const late = await lateTokenEndpoint(h.sandbox.env.HH_TOKEN_URL);
  try {
    return await runCli(args, {
      env: h.env({ HH_TOKEN_URL: late.url }),
      input,
      secretStdout: args[0] === 'token',
      onSpawn: (child) => void late.spent.then(() => child.kill(signal)),
    });
  } finally {
    await late.close();
  }
}

describe('a signal while hh.ru\'s answer is on its way', () => {
  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('refresh stores the new pair first, then ends by %s', async (signal) => {
    await storeGrant(h, h.tokenFile);
    await waitForExpiry(EXPIRES_IN);
    const before = refreshTokenIn(h.tokenFile);
    const grants = h.sandbox.stats().refreshed;

    const out = await signalledWhileAnswerIsLate(['refresh', '--json'], signal);

    expect(out.signal, out.stderr).toBe(signal);
    expect(out.stderr).toContain(`${signal}: storing the token pair in progress first`);
    expect(h.sandbox.stats().refreshed - grants).toBe(1);
    expect(refreshTokenIn(h.tokenFile)).not.toBe(before);
    expect(debris(h.tokenFile), 'no lock or temp file left behind').toEqual([]);
    // The stored pair is the one hh.ru issued: it refreshes once it expires.
    await waitForExpiry(EXPIRES_IN);
    const next = await h.run(['refresh', '--json']);
    expect(next.code, next.stderr).toBe(0);
    expect(jsonOut(next).status).toBe('refreshed');
  });

  it('token (which refreshes an expired pair first) stores it, then ends by SIGTERM', async () => {
    await storeGrant(h, h.tokenFile);
    await waitForExpiry(EXPIRES_IN);
    const before = refreshTokenIn(h.tokenFile);

    const out = await signalledWhileAnswerIsLate(['token'], 'SIGTERM');

    expect(out.signal, out.stderr).toBe('SIGTERM');
    expect(refreshTokenIn(h.tokenFile)).not.toBe(before);
    const whoami = await h.run(['whoami', '--json']);
    expect(whoami.code, whoami.stderr).toBe(0);
  });

  it('exchange stores the pair bought with the code, then ends by SIGINT (Ctrl-C)', async () => {
    const callback = await h.authorize();

    const out = await signalledWhileAnswerIsLate(['exchange', '-', '--json'], 'SIGINT', callback);

    expect(out.signal, out.stderr).toBe('SIGINT');
    expect(existsSync(h.tokenFile)).toBe(true);
    const whoami = await h.run(['whoami', '--json']);
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(jsonOut(whoami).auth_type).toBe('employer');
  });

  it('exchange whose code hh.ru refuses while a SIGTERM is held: the refusal is reported (and the authorization marked used) before the signal ends the run', async () => {
    const callback = new URL(await h.authorize());
    callback.searchParams.set('code', 'NOSUCHCODE');

    const out = await signalledWhileAnswerIsLate(['exchange', '-', '--json'], 'SIGTERM', callback.toString());

    expect(out.signal, out.stderr).toBe('SIGTERM');
    expect(out.stderr).toContain('SIGTERM: storing the token pair in progress first');
    expect(jsonOut(out).error, out.stderr).toMatchObject({ code: 'reauthorize', hh_error: 'invalid_request' });
    expect(existsSync(h.tokenFile)).toBe(false);
    // Refused by hh.ru as a dead code, so marked used before the signal ended the run: the same callback is not tried again.
    const again = await h.run(['exchange', '-'], { input: callback.toString() });
    expect(again.stderr).toContain('this authorization was already used');
    expect(again.code).toBe(4);
  });

  it('refresh --all (2 at a time) and SIGHUP, which it does not handle itself: every pair hh.ru issued is stored before the run ends', async () => {
    const names = ['a1', 'a2', 'a3', 'a4'];
    for (const name of names) await storeGrant(h, h.profileFile(name));
    await waitForExpiry(EXPIRES_IN);
    const before = Object.fromEntries(names.map((name) => [name, refreshTokenIn(h.profileFile(name))]));
    const grants = h.sandbox.stats().refreshed;

    const out = await signalledWhileAnswerIsLate(['refresh', '--all', '--concurrency', '2', '--json'], 'SIGHUP');

    expect(out.signal, out.stderr).toBe('SIGHUP');
    const changed = names.filter((name) => refreshTokenIn(h.profileFile(name)) !== before[name]);
    expect(changed.length).toBeGreaterThanOrEqual(1);
    expect(h.sandbox.stats().refreshed - grants, 'every grant hh.ru made is in a file').toBe(changed.length);
  });

  it('before anything is sent, a signal still stops the run at once', async () => {
    await storeGrant(h, h.tokenFile);
    const bytes = readFileSync(h.tokenFile);
    // Not due: refresh waits on nothing and sends nothing; a lock held elsewhere makes it wait.
    writeFileSync(`${h.tokenFile}.lock`, JSON.stringify({ pid: process.pid, host: 'another-host.example' }));
    const out = await runCli(['refresh', '--force', '--json'], {
      env: h.env({ HH_LOCK_TIMEOUT: '30' }),
      onSpawn: (child) => void setTimeout(() => child.kill('SIGTERM'), 700),
    });
    expect(out.signal).toBe('SIGTERM');
    expect(out.stderr).not.toContain('storing the token pair in progress first');
    expect(readFileSync(h.tokenFile)).toEqual(bytes);
  });
});

describe('killed after writing the new pair, before the rename', () => {
  it('the next refresh puts the kept pair in place, without a second grant', async () => {
    await storeGrant(h, h.tokenFile);
    await waitForExpiry(EXPIRES_IN);
    const before = refreshTokenIn(h.tokenFile);
    const grants = h.sandbox.stats().refreshed;

    const killed = await h.run(['refresh'], { env: { NODE_OPTIONS: `--require ${PRELOAD.killAtRename}` } });
    expect(killed.signal).toBe('SIGKILL');
    expect(refreshTokenIn(h.tokenFile), 'the old, spent pair is still in the file').toBe(before);
    expect(debris(h.tokenFile).some((name) => name.endsWith('.tmp'))).toBe(true);

    const next = await h.run(['refresh', '--json']);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/recovered the token pair that a stopped run had written but not yet stored/);
    expect(jsonOut(next).status).toBe('not_due');
    expect(h.sandbox.stats().refreshed - grants).toBe(1);
    expect(refreshTokenIn(h.tokenFile)).not.toBe(before);
    expect(debris(h.tokenFile)).toEqual([]);
    expect(statSync(h.tokenFile).mode & 0o777).toBe(0o600);
    await waitForExpiry(EXPIRES_IN);
    const later = await h.run(['refresh', '--json']);
    expect(later.code, later.stderr).toBe(0);
    expect(jsonOut(later).status).toBe('refreshed');
  });

  it('a first login killed that way is found by the next command, even though no token file exists yet', async () => {
    const callback = await h.authorize();
    const killed = await h.run(['exchange', '-'], { input: callback, env: { NODE_OPTIONS: `--require ${PRELOAD.killAtRename}` } });
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(h.tokenFile)).toBe(false);

    // `token` is answered by the hot path when it can; a missing file goes to the full command.
    const out = await runCli(['token'], { env: h.env(), secretStdout: true });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/recovered the token pair/);
    expect(out.stdout.trim()).toBe(JSON.parse(readFileSync(h.tokenFile, 'utf8')).access_token);
  });

  it('a kept pair replaces only the content it was written for: an incomplete one, one for older content and debris of earlier versions are removed', async () => {
    await storeGrant(h, h.tokenFile);
    const bytes = readFileSync(h.tokenFile);
    const dir = join(h.tokenFile, '..');
    const tag = (content: Buffer | string) => createHash('sha256').update(content).digest('hex').slice(0, 16);
    const older = { ...JSON.parse(bytes.toString()), refresh_token: 'OLDERPAIRREFRESH' };
    // Killed before its write, for this very content: claimed blanks only.
    writeFileSync(join(dir, `.token.json.${tag(bytes)}.tmp`), ' '.repeat(4096), { mode: 0o600 });
    // A complete pair, but written to replace content the file no longer holds (say, before a later login).
    writeFileSync(join(dir, `.token.json.${tag('{"an":"earlier file"}')}.tmp`), JSON.stringify(older), { mode: 0o600 });
    // Names from before kept pairs had names of their own.
    writeFileSync(join(dir, '.token.json.999999.bbbbbbbbbbbb.tmp'), JSON.stringify(older), { mode: 0o600 });
    await waitForExpiry(EXPIRES_IN);

    const out = await h.run(['refresh', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).not.toMatch(/recovered the token pair/);
    expect(jsonOut(out).status).toBe('refreshed');
    expect(debris(h.tokenFile)).toEqual([]);
    expect(refreshTokenIn(h.tokenFile)).not.toBe('OLDERPAIRREFRESH');
  });

  it('a kept pair that this user cannot read stops the run (exit 7): it is neither removed as debris nor passed over to spend the superseded refresh token', async (ctx) => {
    requires(ctx, 'root, setpriv and a checkout that uid 65534 can read', nobodyCanRunCli());
    await storeGrant(h, h.tokenFile);
    // The service user (nobody) owns the directory and the file; the kept pair is root's (say, a `sudo hh-oauth refresh` killed before its rename on a filesystem that refused it the chown).
    const dir = join(h.tokenFile, '..');
    chmodSync(h.dir, 0o755);
    mkdirSync(join(h.dir, 'config'), { recursive: true, mode: 0o700 });
    for (const path of [dir, h.tokenFile, join(h.dir, 'config')]) chownSync(path, NOBODY, NOBODY);
    const kept = join(dir, `.token.json.${createHash('sha256').update(readFileSync(h.tokenFile)).digest('hex').slice(0, 16)}.tmp`);
    const newer = { ...JSON.parse(readFileSync(h.tokenFile, 'utf8')), refresh_token: 'NEWERPAIRREFRESH' };
    writeFileSync(kept, JSON.stringify(newer), { mode: 0o600 });
    await waitForExpiry(EXPIRES_IN);
    const before = refreshTokenIn(h.tokenFile);
    const grants = h.sandbox.stats().refreshed;

    const out = await runCli(['refresh', '--json'], { env: h.env(), wrap: AS_NOBODY });
    expect(out.code, out.stderr).toBe(7);
    expect(jsonOut(out).error.message).toMatch(/cannot read .*\.token\.json\.[0-9a-f]{16}\.tmp \(EACCES\), which may hold a newer token pair/);
    expect(h.sandbox.stats().refreshed - grants, 'nothing was sent').toBe(0);
    expect(existsSync(kept)).toBe(true);
    expect(refreshTokenIn(h.tokenFile)).toBe(before);
  });
});

/** chattr +i: needs root and a filesystem that supports it (CI provides both). */
function makeImmutable(ctx: { skip(): void }, file: string): void {
  requires(ctx, 'root and chattr', isRoot);
  const out = spawnSync('chattr', ['+i', file]);
  requires(ctx, `chattr +i on ${file} (${out.error?.message ?? out.stderr})`, out.status === 0);
}

const undoImmutable = (file: string) => spawnSync('chattr', ['-i', file]).status === 0;

describe('a token file that cannot be replaced', () => {
  it('immutable (chattr +i) once hh.ru has answered: the new pair is kept, named, and put in place by the next run', async (ctx) => {
    await storeGrant(h, h.tokenFile);
    makeImmutable(ctx, h.tokenFile);
    try {
      await waitForExpiry(EXPIRES_IN);
      const before = refreshTokenIn(h.tokenFile);
      const grants = h.sandbox.stats().refreshed;

      const out = await h.run(['refresh', '--json']);
      expect(out.code, out.stderr).toBe(7);
      const { error } = jsonOut(out);
      expect(error.message).toMatch(/hh\.ru issued a new token pair, but it cannot replace .*token\.json \(EPERM\); the new pair is kept in .*\.token\.json\.[0-9a-f]{16}\.tmp$/);
      expect(error.suggestion).toMatch(/chattr -i/);
      expect(error.suggestion).toMatch(/run hh-oauth again, which moves the kept pair into place/);
      expect(h.sandbox.stats().refreshed - grants).toBe(1);
      expect(refreshTokenIn(h.tokenFile)).toBe(before);

      // While the cause is still there, the next run stops there too: it must not spend the file's old refresh token.
      const blocked = await h.run(['refresh', '--json']);
      expect(blocked.code, blocked.stderr).toBe(7);
      expect(jsonOut(blocked).error.message).toMatch(/a newer token pair, written by a run that stopped before storing it, is kept in .*, but it cannot replace .* \(EPERM\)$/);
      expect(jsonOut(blocked).error.suggestion).toMatch(/chattr -i/);
      expect(h.sandbox.stats().refreshed - grants).toBe(1);
      expect(debris(h.tokenFile).filter((name) => name.endsWith('.tmp'))).toHaveLength(1);

      expect(undoImmutable(h.tokenFile)).toBe(true);
      const next = await h.run(['refresh', '--json']);
      expect(next.code, next.stderr).toBe(0);
      expect(next.stderr).toMatch(/recovered the token pair/);
      expect(jsonOut(next).status).toBe('not_due');
      expect(refreshTokenIn(h.tokenFile)).not.toBe(before);
      expect(h.sandbox.stats().refreshed - grants).toBe(1);
    } finally {
      undoImmutable(h.tokenFile);
    }
  });

  it('immutable, with a SIGTERM while the answer is on its way: the error naming the kept pair is still printed, then the signal ends the run', async (ctx) => {
    await storeGrant(h, h.tokenFile);
    makeImmutable(ctx, h.tokenFile);
    try {
      await waitForExpiry(EXPIRES_IN);
      const out = await signalledWhileAnswerIsLate(['refresh', '--json'], 'SIGTERM');
      expect(out.signal, out.stderr).toBe('SIGTERM');
      expect(jsonOut(out).error.message).toMatch(/the new pair is kept in .*\.token\.json\.[0-9a-f]{16}\.tmp$/);
    } finally {
      undoImmutable(h.tokenFile);
    }
    const next = await h.run(['refresh', '--json']);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/recovered the token pair/);
  });

  it('bind-mounted on its own (docker -v ./token.json:…): refused before anything is sent', async (ctx) => {
    requires(ctx, 'root (mount --bind)', isRoot);
    await storeGrant(h, h.tokenFile);
    const source = join(h.dir, 'outside', 'token.json');
    mkdirSync(join(source, '..'), { recursive: true });
    writeFileSync(source, readFileSync(h.tokenFile), { mode: 0o600 });
    const mounted = spawnSync('mount', ['--bind', source, h.tokenFile]);
    requires(ctx, `mount --bind (${mounted.stderr})`, mounted.status === 0);
    try {
      await waitForExpiry(EXPIRES_IN);
      const bytes = readFileSync(h.tokenFile);
      const grants = h.sandbox.stats().refreshed;
      const out = await h.run(['refresh', '--json']);
      expect(out.code, out.stderr).toBe(7);
      const { error } = jsonOut(out);
      expect(error.message).toMatch(/is a mount point .*; nothing was sent to hh\.ru$/);
      expect(error.suggestion).toMatch(/mount the directory that holds the token file instead/);
      expect(h.sandbox.stats().refreshed - grants).toBe(0);
      expect(readFileSync(h.tokenFile)).toEqual(bytes);
    } finally {
      spawnSync('umount', [h.tokenFile]);
    }
  });
});
