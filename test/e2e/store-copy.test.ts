import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { byName, hoursFromNow, jsonOut, readJson, storeGrant, useHarness, writeTokenFile, type RunResult } from '../helpers';
import { recordFromGrant } from '../../src/token/record';
import { mintGrant } from '../helpers';

/**
 * `store copy` file → file through the built CLI, against the sandbox's real grants (the
 * harness's leak scan checks every line printed against every token issued).
 */
const h = useHarness();

const dest = () => join(h.dir, 'new', 'token.json');
const destProfile = (name: string) => join(h.dir, 'new', 'profiles', `${name}.json`);
const copy = (extra: string[] = []) => h.run(['store', 'copy', '--from', h.tokenFile, '--to', dest(), '--json', ...extra]);
const slotsOf = (out: RunResult) => Object.fromEntries((jsonOut(out).slots as Array<{ profile: string | null; action: string }>).map((s) => [s.profile ?? 'app', s.action]));

/** A grant whose obtained_at is `hours` from now: to order two pairs of one profile. */
async function grantAt(path: string, hours: number): Promise<Record<string, unknown>> {
  const record = recordFromGrant(await mintGrant(h), hoursFromNow(hours));
  writeTokenFile(path, record);
  return record;
}

function asides(path: string): string[] {
  const dir = join(path, '..');
  return readdirSync(dir).filter((f) => f.startsWith(`${path.split('/').pop()}.corrupt-`)).map((f) => join(dir, f));
}

describe('store copy --from FILE --to FILE', () => {
  it('moves every profile and the app token, spending nothing; the source is marked moved and every command there names the new store', async () => {
    const main = await storeGrant(h, h.tokenFile);
    const acme = await storeGrant(h, h.profileFile('acme'));
    expect((await h.run(['app-token'])).code).toBe(0);
    const app = readJson(join(h.dir, 'state', 'app-token.json'));
    const grantsBefore = h.sandbox.issued().length;

    const out = await copy();
    expect(out.code, out.stderr).toBe(0);
    expect(slotsOf(out)).toEqual({ default: 'copied', acme: 'copied', app: 'copied' });
    expect(jsonOut(out)).toMatchObject({ status: 'copied', from: h.tokenFile, to: dest() });
    expect(h.sandbox.issued().length, 'nothing spent, nothing issued').toBe(grantsBefore);

    expect(readJson(dest())).toEqual(main);
    expect(readJson(destProfile('acme'))).toEqual(acme);
    expect(readJson(join(h.dir, 'new', 'app-token.json'))).toEqual(app);
    expect(statSync(dest()).mode & 0o777).toBe(0o600);
    for (const path of [h.tokenFile, h.profileFile('acme'), join(h.dir, 'state', 'app-token.json')]) {
      const mark = readFileSync(path, 'utf8');
      expect(JSON.parse(mark), path).toMatchObject({ moved_to: dest() });
      expect(mark, 'no token left in the source').not.toMatch(/access_token|refresh_token/);
    }

    // The hot path (refresh, token) and the full commands: exit 3, the new store and the setting named; nothing refreshed.
    for (const args of [['refresh'], ['refresh', '--force'], ['--profile', 'acme', 'whoami'], ['token', '--app']]) {
      const run = await h.run(args);
      expect(run.code, args.join(' ')).toBe(3);
      expect(run.stderr, args.join(' ')).toContain(`moved to ${dest()}`);
      expect(run.stderr, args.join(' ')).toContain('HH_TOKEN_FILE');
    }
    const all = await h.run(['refresh', '--all', '--json']);
    expect(all.code).toBe(3);
    for (const row of jsonOut(all).profiles as Array<{ error: { message: string } }>) expect(row.error.message).toContain(`moved to ${dest()}`);
    const status = await h.run(['status', '--json']);
    expect(status.code).toBe(3);
    expect(jsonOut(status).state).toBe('moved');
    const profiles = byName<{ name: string; state: string }>(jsonOut(await h.run(['profiles', '--json'])).profiles);
    expect(profiles.acme?.state).toBe('moved');
    expect(profiles.default?.state).toBe('moved');
    expect(h.sandbox.issued().length, 'the moved slots were never refreshed').toBe(grantsBefore);

    // The new store works, and copying again changes nothing.
    const whoami = await h.run(['--profile', 'acme', 'whoami', '--json'], { env: { HH_TOKEN_FILE: dest() } });
    expect(whoami.code, whoami.stderr).toBe(0);
    const again = await copy();
    expect(again.code, again.stderr).toBe(0);
    expect(slotsOf(again)).toEqual({ default: 'already_moved', acme: 'already_moved', app: 'already_moved' });
    expect(readJson(dest())).toEqual(main);
  });

  it('never overwrites a newer pair in the destination: it stays, the older source pair is set aside, not lost', async () => {
    const older = await grantAt(h.tokenFile, -2);
    const newer = await grantAt(dest(), -1);
    const destBefore = readFileSync(dest(), 'utf8');

    const out = await copy();
    expect(out.code, out.stderr).toBe(0);
    expect(slotsOf(out)).toEqual({ default: 'kept_newer' });
    expect(readFileSync(dest(), 'utf8')).toBe(destBefore);
    expect(readJson(dest()).refresh_token).toBe(newer.refresh_token);
    expect(readJson(h.tokenFile)).toMatchObject({ moved_to: dest() });
    const kept = asides(h.tokenFile);
    expect(kept).toHaveLength(1);
    expect(readJson(kept[0]!).refresh_token).toBe(older.refresh_token);
  });

  it('replaces an older pair in the destination with the newer source pair, keeping the older one aside', async () => {
    const older = await grantAt(dest(), -2);
    const newer = await grantAt(h.tokenFile, -1);

    const out = await copy();
    expect(out.code, out.stderr).toBe(0);
    expect(slotsOf(out)).toEqual({ default: 'replaced_older' });
    expect(readJson(dest())).toEqual(newer);
    expect(readJson(asides(dest())[0]!).refresh_token).toBe(older.refresh_token);
  });

  it('after a crash between the destination write and the mark (both hold one pair), running it again marks the source and writes nothing', async () => {
    const pair = await storeGrant(h, h.tokenFile);
    writeTokenFile(dest(), readFileSync(h.tokenFile, 'utf8'));
    const destBefore = statSync(dest(), { bigint: true });

    const out = await copy();
    expect(out.code, out.stderr).toBe(0);
    expect(slotsOf(out)).toEqual({ default: 'already_copied' });
    expect(statSync(dest(), { bigint: true }).mtimeNs, 'the destination was not rewritten').toBe(destBefore.mtimeNs);
    expect(readJson(dest())).toEqual(pair);
    expect(readJson(h.tokenFile)).toMatchObject({ moved_to: dest() });
    expect(asides(h.tokenFile)).toEqual([]);
  });

  it('a damaged source slot is left as it is (exit 7) while the others are copied', async () => {
    await storeGrant(h, h.tokenFile);
    writeTokenFile(h.profileFile('broken'), '{"access_token": "x"');
    const out = await copy();
    expect(out.code).toBe(7);
    expect(slotsOf(out)).toEqual({ default: 'copied', broken: 'failed' });
    expect(readFileSync(h.profileFile('broken'), 'utf8')).toBe('{"access_token": "x"');
    expect(existsSync(destProfile('broken'))).toBe(false);
  });

  it('refuses, before touching anything: a DSN password on the command line (never echoed), an unknown scheme, one store twice', async () => {
    await storeGrant(h, h.tokenFile);
    const before = readFileSync(h.tokenFile, 'utf8');
    const withPassword = await h.run(['store', 'copy', '--from', h.tokenFile, '--to', 'postgresql://hh:s3cretpw@db.example/hh']);
    expect(withPassword.code).toBe(2);
    expect(withPassword.stderr).toContain('password');
    expect(withPassword.stdout + withPassword.stderr).not.toContain('s3cretpw');
    const unknown = await h.run(['store', 'copy', '--from', h.tokenFile, '--to', 'mysql://db/hh']);
    expect(unknown.code).toBe(2);
    const ambiguous = await h.run(['store', 'copy', '--from', h.tokenFile, '--to', join(h.dir, 'fresh')]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('does not exist');
    expect(existsSync(join(h.dir, 'fresh'))).toBe(false);
    const same = await h.run(['store', 'copy', '--from', h.tokenFile, '--to', join(h.dir, 'state')]);
    expect(same.code).toBe(2);
    expect(same.stderr).toContain('same store');
    expect(readFileSync(h.tokenFile, 'utf8')).toBe(before);
  });

  it('HH_TOKEN_STORE set: the hot path (refresh, token) hands over to the full command, which opens that store; an unknown one is exit 3, its value never echoed', async () => {
    await storeGrant(h, h.tokenFile);
    const env = { HH_TOKEN_STORE: 'mysql://hh:s3cretpw@db/hh' };
    for (const args of [['refresh'], ['token'], ['status'], ['store', 'init']]) {
      const out = await h.run(args, { env });
      expect(out.code, args.join(' ')).toBe(3);
      expect(out.stdout, args.join(' ')).toBe('');
      expect(out.stderr, args.join(' ')).toContain('HH_TOKEN_STORE');
      expect(out.stderr).not.toContain('s3cretpw');
    }
    const saved = await h.run(['config', 'set', 'token-store', 'postgresql://hh:s3cretpw@db/hh']);
    expect(saved.code).toBe(2);
    expect(saved.stderr).not.toContain('s3cretpw');
  });

  it('--to DIR/ for a directory that does not exist yet: DIR/token.json, with profiles/ beside it', async () => {
    const pair = await storeGrant(h, h.profileFile('acme'));
    const out = await h.run(['store', 'copy', '--from', join(h.dir, 'state'), '--to', `${join(h.dir, 'fresh')}/`, '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).to).toBe(join(h.dir, 'fresh', 'token.json'));
    expect(readJson(join(h.dir, 'fresh', 'profiles', 'acme.json'))).toEqual(pair);
  });

  it('store init on the file store has nothing to create', async () => {
    const out = await h.run(['store', 'init', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out)).toMatchObject({ status: 'ready', kind: 'file', store: h.tokenFile });
  });
});
