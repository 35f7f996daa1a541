import { chmodSync, chownSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AS_NOBODY,
  byName,
  fakePair,
  hoursFromNow,
  jsonOut,
  lateTokenEndpoint,
  NOBODY,
  nobodyCanRunCli,
  requires,
  revokeAtSandbox,
  runCli,
  storeGrant,
  useHarness,
  waitForExpiry,
  writeTokenFile,
} from '../helpers';
import fc from 'fast-check';
import type { ErrorCode } from '../../src/errors';
import { forEachBounded } from '../../src/token/profiles';
import { mostSerious, SEVERITY } from '../../src/errors';

const EXPIRES_IN = 1;
const h = useHarness({ expiresIn: EXPIRES_IN });

const nobodyCanRun = nobodyCanRunCli();

const read = (path: string) => readFileSync(path, 'utf8');
type Row = { name: string; status: string; error?: { code: string } };
/** refresh --all --json's profiles, keyed by name. */
const profilesOf = (doc: { profiles: Row[] }) => byName(doc.profiles);
/** A file that is not due for a day; its tokens were never issued, so it must not reach hh.ru. */
const storeNotDue = (path: string) => writeTokenFile(path, fakePair(hoursFromNow(24)));

const slowTokenEndpoint = () => lateTokenEndpoint(h.sandbox.env.HH_TOKEN_URL);

describe('refresh --all: every profile refreshed or reported, and the exit code of the most serious failure', () => {
  it('mixed outcomes: refreshes the due ones, skips the rest, reports each, and exits with the most serious failure', async () => {
    await storeGrant(h, h.tokenFile);
    await storeGrant(h, h.profileFile('due-a'));
    storeNotDue(h.profileFile('fresh'));
    const revoked = await storeGrant(h, h.profileFile('revoked'));
    await revokeAtSandbox(h, revoked.access_token as string);
    writeTokenFile(h.profileFile('corrupt'), '{"access_token": "trunc');
    // Not profiles: ignored, not reported.
    writeTokenFile(join(h.dir, 'state', 'profiles', 'UPPER.json'), '{}');
    writeTokenFile(join(h.dir, 'state', 'profiles', 'notes.txt'), 'hello');
    await waitForExpiry(EXPIRES_IN);
    const untouched = ['fresh', 'revoked', 'corrupt'].map((n) => [n, read(h.profileFile(n))]);
    const refreshedBefore = h.sandbox.stats().refreshed;

    const out = await h.run(['refresh', '--all', '--concurrency', '2', '--json']);
    expect(out.code, out.stderr).toBe(7);
    const doc = jsonOut(out);
    expect(doc).toMatchObject({ status: 'failed', total: 5, refreshed: 2, not_due: 1, failed: 2, exit_code: 7, error: { code: 'store' } });
    const rows = profilesOf(doc);
    expect(Object.keys(rows)).toEqual(['default', 'corrupt', 'due-a', 'fresh', 'revoked']);
    expect(rows.default).toMatchObject({ status: 'refreshed', token_file: h.tokenFile, expires_at: expect.any(String) });
    expect(rows['due-a']!.status).toBe('refreshed');
    expect(rows.fresh!.status).toBe('not_due');
    expect(rows.revoked).toMatchObject({ status: 'failed', error: { code: 'reauthorize', hh_error: 'invalid_grant', hh_error_description: 'token was revoked' } });
    expect(rows.corrupt).toMatchObject({ status: 'failed', error: { code: 'store' } });
    expect(h.sandbox.stats().refreshed - refreshedBefore).toBe(2);
    for (const [name, bytes] of untouched) expect(read(h.profileFile(name!)), name).toBe(bytes);

    // One summary line for the log, naming the failures.
    const lines = out.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('2 refreshed, 1 not due, 2 failed of 5 profiles');
    expect(lines[0]).toMatch(/corrupt \(store\)/);
    expect(lines[0]).toMatch(/revoked \(reauthorize\)/);
  });

  it('exits 6 (systemd retries) when every failure was temporary, and keeps those files as they were', async () => {
    await storeGrant(h, h.profileFile('a'));
    await storeGrant(h, h.profileFile('b'));
    storeNotDue(h.profileFile('c'));
    await waitForExpiry(EXPIRES_IN);
    const before = { a: read(h.profileFile('a')), b: read(h.profileFile('b')) };
    h.sandbox.fault({ kind: 'html', status: 503, path: '/token' });

    const out = await h.run(['refresh', '--all', '--json'], { env: { JOURNAL_STREAM: '8:1234' } });
    expect(out.code, out.stderr).toBe(6);
    const rows = profilesOf(jsonOut(out));
    expect(rows.a!.error!.code).toBe('temporary');
    expect(rows.b!.error!.code).toBe('temporary');
    expect(rows.c!.status).toBe('not_due');
    expect(read(h.profileFile('a'))).toBe(before.a);
    expect(read(h.profileFile('b'))).toBe(before.b);
    const lines = out.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^<4>refresh --all: 0 refreshed, 1 not due, 2 failed of 3 profiles/);
  });

  it('a permanent failure outranks a temporary one: exit 4, so systemd does not retry', async () => {
    // Concurrency 1 and the default file first: the one injected 503 hits the default profile.
    await storeGrant(h, h.tokenFile);
    const revoked = await storeGrant(h, h.profileFile('gone'));
    await revokeAtSandbox(h, revoked.access_token as string);
    await waitForExpiry(EXPIRES_IN);
    h.sandbox.fault({ kind: 'html', status: 503, path: '/token', times: 1 });

    const out = await h.run(['refresh', '--all', '--concurrency', '1', '--json']);
    expect(out.code, out.stderr).toBe(4);
    const rows = profilesOf(jsonOut(out));
    expect(rows.default!.error!.code).toBe('temporary');
    expect(rows.gone!.error!.code).toBe('reauthorize');
  });

  it('all fine: exit 0, nothing on stdout, one info line for the journal', async () => {
    await storeGrant(h, h.tokenFile);
    for (const name of ['p1', 'p2', 'p3']) await storeGrant(h, h.profileFile(name));
    storeNotDue(h.profileFile('p4'));
    await waitForExpiry(EXPIRES_IN);
    const out = await h.run(['refresh', '--all', '--concurrency', '3'], { env: { JOURNAL_STREAM: '8:1234' } });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toBe('');
    expect(out.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^<6>refresh --all: 4 refreshed, 1 not due, 0 failed of 5 profiles in \d+\.\d s$/)]);
    // A second run finds nothing due.
    const again = jsonOut(await h.run(['refresh', '--all', '--json']));
    expect(again).toMatchObject({ status: 'ok', total: 5, refreshed: 0, not_due: 5, exit_code: 0 });
  });

  it('SIGTERM while hh.ru has already spent a refresh token: that pair is still written, no new profile starts, exit 6', async () => {
    const names = ['s1', 's2', 's3', 's4', 's5'];
    for (const name of names) await storeGrant(h, h.profileFile(name));
    await waitForExpiry(EXPIRES_IN);
    const before = Object.fromEntries(names.map((n) => [n, read(h.profileFile(n))]));

    const late = await slowTokenEndpoint();
    const refreshedBefore = h.sandbox.stats().refreshed;
    try {
      const out = await runCli(['refresh', '--all', '--concurrency', '1', '--json'], {
        env: h.env({ HH_TOKEN_URL: late.url }),
        onSpawn: (child) => void late.spent.then(() => child.kill('SIGTERM')),
      });

      expect(out.signal).toBeNull();
      expect(out.code, out.stderr).toBe(6);
      const doc = jsonOut(out);
      expect(doc).toMatchObject({ status: 'failed', total: 1, refreshed: 1, failed: 0, interrupted_by: 'SIGTERM', error: { code: 'temporary' } });
      expect(h.sandbox.stats().refreshed - refreshedBefore).toBe(1);
      expect(out.stderr).toContain('stopped early by SIGTERM');
      const changed = names.filter((n) => read(h.profileFile(n)) !== before[n]);
      expect(changed).toEqual([doc.profiles[0].name]);
      // The stored pair is the one hh.ru issued: it refreshes again once it expires.
      await waitForExpiry(EXPIRES_IN);
      const again = await h.run(['--profile', changed[0]!, 'refresh', '--json']);
      expect(again.code, again.stderr).toBe(0);
      expect(jsonOut(again).status).toBe('refreshed');
    } finally {
      await late.close();
    }
  });

  it('the profile listing fails while a refresh is in flight: that refresh finishes and is stored (even through a SIGTERM), exit 7 naming the listing', async (ctx) => {
    requires(ctx, 'root, setpriv and a checkout that uid 65534 can read', nobodyCanRun);
    // The token directory belongs to the service user (nobody); profiles/ was made by root
    // (e.g. `sudo hh-oauth --profile x login`), so nobody can list it.
    await storeGrant(h, h.tokenFile);
    mkdirSync(join(h.dir, 'state', 'profiles'), { mode: 0o700 });
    mkdirSync(join(h.dir, 'config'), { mode: 0o700 });
    chmodSync(h.dir, 0o755);
    for (const path of [join(h.dir, 'state'), h.tokenFile, join(h.dir, 'config')]) chownSync(path, NOBODY, NOBODY);
    await waitForExpiry(EXPIRES_IN);
    const before = read(h.tokenFile);
    const late = await slowTokenEndpoint();
    try {
      const out = await runCli(['refresh', '--all', '--json'], {
        env: h.env({ HH_TOKEN_URL: late.url }),
        wrap: AS_NOBODY,
        onSpawn: (child) => void late.spent.then(() => child.kill('SIGTERM')),
      });
      expect(out.signal, out.stderr).toBeNull();
      expect(out.code, out.stderr).toBe(7);
      const doc = jsonOut(out);
      expect(doc).toMatchObject({ status: 'failed', total: 1, refreshed: 1, failed: 0, exit_code: 7, error: { code: 'store', suggestion: expect.stringMatching(/run as the user that owns the token directory/) } });
      expect(doc.error.message).toMatch(/cannot list the profiles in \S+profiles \(EACCES\)/);
      expect(doc.profiles).toEqual([expect.objectContaining({ name: 'default', status: 'refreshed' })]);
      expect(out.stderr).toMatch(/1 refreshed, 0 not due, 0 failed of 1 profile.*cannot list the profiles/);
      // The stored pair is the one hh.ru just issued, not the spent one.
      const stored = JSON.parse(read(h.tokenFile)) as { refresh_token: string };
      expect(read(h.tokenFile)).not.toBe(before);
      expect(stored.refresh_token).not.toBe((JSON.parse(before) as { refresh_token: string }).refresh_token);
      expect(h.sandbox.issued()).toContain(stored.refresh_token);
    } finally {
      await late.close();
    }
  });

  it('with no token file at all it exits 4 and says where it looked', async () => {
    const out = await h.run(['refresh', '--all', '--json']);
    expect(out.code).toBe(4);
    expect(jsonOut(out).error.code).toBe('reauthorize');
    expect(out.stderr).toContain(join(h.dir, 'state', 'profiles'));
  });

  // The usage errors of --all and --concurrency: in-process in test/unit/cli/flag-values.test.ts.
});
