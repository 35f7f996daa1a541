import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HhOauthError } from '../../../src/errors';
import { activeHolds, SignalHold } from '../../../src/token/signal-guard';
import { keptPairPath } from '../../../src/token/kept-pair';
import { RESERVE_BYTES } from '../../../src/token/reservation';
import { TokenWrite } from '../../../src/token/write';
import { canMountTmpfs, requires } from '../../helpers';

/**
 * The write protocol (token/write.ts) in-process, against real files: the grant is called
 * by the protocol alone, once, under the lock, with the space claimed and the signals held;
 * whatever happens, the lock and the hold are let go (the hold once, and after the lock).
 */
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

let path: string;
let releases: ReturnType<typeof vi.spyOn>;
/** Whether the lock file existed at each release of a hold. */
let lockedAtRelease: boolean[];

beforeEach(() => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-write-'));
  dirs.push(dir);
  path = join(dir, 'token.json');
  lockedAtRelease = [];
  const release = SignalHold.prototype.release;
  releases = vi.spyOn(SignalHold.prototype, 'release').mockImplementation(function (this: SignalHold) {
    lockedAtRelease.push(existsSync(`${path}.lock`));
    release.call(this);
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  delete process.env.HH_TOKEN_GROUP;
  expect(activeHolds(), 'no hold outlives its write').toBe(0);
});

const files = () => readdirSync(join(path, '..')).sort();
const PAIR = { access_token: 'A2', refresh_token: 'R2' };

/** What the world looked like from inside the grant. */
interface Seen {
  calls: number;
  locked?: boolean;
  claimed?: number;
  holds?: number;
}

function grantThat(seen: Seen, answer: () => Promise<Record<string, unknown>> = async () => PAIR) {
  return async () => {
    seen.calls++;
    seen.locked = existsSync(`${path}.lock`);
    const kept = await keptPairPath(path);
    seen.claimed = existsSync(kept) ? statSync(kept).size : -1;
    seen.holds = activeHolds();
    return answer();
  };
}

describe('TokenWrite.run', () => {
  it('calls the grant once, under the lock, with 4 KiB claimed and the signals held; then commits, and lets go of the lock before the hold', async () => {
    writeFileSync(path, JSON.stringify({ access_token: 'A1', refresh_token: 'R1' }), { mode: 0o600 });
    const seen: Seen = { calls: 0 };
    const written = await TokenWrite.run(path, 5, (write) => write.spend(grantThat(seen), (answer) => ({ ...answer, obtained_at: 'now' })));

    expect(seen).toEqual({ calls: 1, locked: true, claimed: RESERVE_BYTES, holds: 1 });
    expect(written).toEqual({ ...PAIR, obtained_at: 'now' });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(written);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(files(), 'no temp file, no lock').toEqual(['token.json']);
    expect(releases).toHaveBeenCalledTimes(1);
    expect(lockedAtRelease).toEqual([false]);
  });

  it('a grant that throws: the error comes out as it was, the claim is given back, the file untouched, the lock and the hold let go (once)', async () => {
    writeFileSync(path, '{"access_token":"A1","refresh_token":"R1"}', { mode: 0o600 });
    const refusal = new HhOauthError('reauthorize', 'hh.ru refused');
    const seen: Seen = { calls: 0 };
    const err = await TokenWrite.run(path, 5, (write) => write.spend(grantThat(seen, () => Promise.reject(refusal)), (a) => a)).catch((e: unknown) => e);

    expect(err).toBe(refusal);
    expect(seen.calls).toBe(1);
    expect(readFileSync(path, 'utf8')).toBe('{"access_token":"A1","refresh_token":"R1"}');
    expect(files()).toEqual(['token.json']);
    expect(releases).toHaveBeenCalledTimes(1);
    expect(lockedAtRelease).toEqual([false]);
  });

  it('a caller that catches the grant\'s error and returns (refresh: "token not expired") still leaves nothing behind', async () => {
    const outcome = await TokenWrite.run(path, 5, async (write) => {
      await write.spend(() => Promise.reject(new Error('not expired')), (a) => a).catch(() => undefined);
      return 'not_due';
    });
    expect(outcome).toBe('not_due');
    expect(files()).toEqual([]);
    expect(releases).toHaveBeenCalledTimes(1);
  });

  it('a body that decides not to spend (not due) claims nothing and holds nothing', async () => {
    expect(await TokenWrite.run(path, 5, async () => 'not_due')).toBe('not_due');
    expect(releases).not.toHaveBeenCalled();
    expect(files()).toEqual([]);
  });

  it('a body that throws after its grant was answered: the pair is stored all the same, and the lock and the hold are let go', async () => {
    const err = await TokenWrite.run(path, 5, async (write) => {
      await write.spend(async () => PAIR, (a) => a);
      throw new Error('later');
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('later');
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(PAIR);
    expect(files()).toEqual(['token.json']);
    expect(releases).toHaveBeenCalledTimes(1);
  });

  it('a claim that fails (an unknown HH_TOKEN_GROUP) sends nothing and holds nothing', async () => {
    process.env.HH_TOKEN_GROUP = 'no-such-group-hh';
    const seen: Seen = { calls: 0 };
    const err = await TokenWrite.run(path, 5, (write) => write.spend(grantThat(seen), (a) => a)).catch((e: unknown) => e);
    expect((err as HhOauthError).code).toBe('config');
    expect(seen.calls).toBe(0);
    expect(releases).not.toHaveBeenCalled();
    expect(files()).toEqual([]);
  });

  it('a rename that fails keeps the pair under its kept name (and nothing removes it); the next write puts it in place without a grant', async () => {
    // A directory where the file should be: rename(2) over it fails (EISDIR) once the pair is written.
    mkdirSync(path);
    const kept = await keptPairPath(path);
    const err = await TokenWrite.run(path, 5, (write) => write.spend(async () => PAIR, (a) => a)).catch((e: unknown) => e);
    expect((err as HhOauthError).code).toBe('store');
    expect((err as Error).message).toContain(`the new pair is kept in ${kept}`);
    expect(JSON.parse(readFileSync(kept, 'utf8'))).toEqual(PAIR);
    expect(releases).toHaveBeenCalledTimes(1);

    rmSync(path, { recursive: true });
    expect(await TokenWrite.run(path, 5, async () => 'not due')).toBe('not due');
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(PAIR);
    expect(existsSync(kept)).toBe(false);
  });

  it('a damaged file is set aside before the grant: announced and kept when the new pair replaced it, dropped when the grant failed', async () => {
    writeFileSync(path, '{"trunc', { mode: 0o600 });
    await TokenWrite.run(path, 5, async (write) => {
      await write.setAside();
      await write.spend(() => Promise.reject(new Error('refused')), (a) => a).catch(() => undefined);
    });
    expect(files(), 'the aside is dropped: the damaged file is still where it was').toEqual(['token.json']);

    let asideBeforeGrant: string[] = [];
    await TokenWrite.run(path, 5, async (write) => {
      await write.setAside();
      await write.spend(async () => ((asideBeforeGrant = files()), PAIR), (a) => a);
    });
    expect(asideBeforeGrant.some((name) => name.startsWith('token.json.corrupt-'))).toBe(true);
    const aside = files().find((name) => name.startsWith('token.json.corrupt-'))!;
    expect(readFileSync(join(path, '..', aside), 'utf8')).toBe('{"trunc');
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(PAIR);
  });

  it('keeps the order: one spend per write, no setting aside once spent, nothing after run', async () => {
    let outside: TokenWrite | undefined;
    await TokenWrite.run(path, 5, async (write) => {
      outside = write;
      await write.spend(async () => PAIR, (a) => a);
      await expect(write.spend(async () => PAIR, (a) => a)).rejects.toThrow(/cannot go from spent/);
      await expect(write.setAside()).rejects.toThrow(/cannot go from spent/);
    });
    await expect(outside!.spend(async () => PAIR, (a) => a)).rejects.toThrow(/cannot go from closed/);
    expect(releases).toHaveBeenCalledTimes(1);
  });

  it('a body that does not wait for its grant: the lock is held until the pair is stored', async () => {
    let answer!: (value: Record<string, unknown>) => void;
    const late = new Promise<Record<string, unknown>>((resolve) => (answer = resolve));
    const done = TokenWrite.run(path, 5, async (write) => {
      void write.spend(() => late, (a) => a);
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(`${path}.lock`)).toBe(true);
    answer(PAIR);
    await done;
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(PAIR);
    expect(files()).toEqual(['token.json']);
  });

  it('the temp files a killed lock taker leaves (its lock\'s and its breaker\'s) are removed once their process is gone, a live one\'s kept', async () => {
    // No such pid: above the kernel's largest (2^22).
    const dead = 4_194_400;
    const left = [`token.json.lock.${dead}.0a1b2c.tmp`, `token.json.lock.break.${dead}.0a1b2c.tmp`, `token.json.lock.break.${process.pid}.0a1b2c.tmp`];
    for (const name of left) writeFileSync(join(path, '..', name), '{}');
    await TokenWrite.run(path, 5, async () => 'not due');
    expect(files()).toEqual([`token.json.lock.break.${process.pid}.0a1b2c.tmp`]);
  });

  it('an answer larger than the claimed space on a disk that filled up meanwhile: the pair is still stored (what the token file needs of it)', async (ctx) => {
    requires(ctx, 'root and mount(8) for a tmpfs', canMountTmpfs());
    const mnt = join(path, '..', 'mnt');
    mkdirSync(mnt);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', mnt]).status).toBe(0);
    try {
      const file = join(mnt, 'token.json');
      writeFileSync(file, JSON.stringify({ access_token: 'A1', refresh_token: 'R1' }), { mode: 0o600 });
      // hh.ru's answer carries 64 KiB more than a pair (a hostile or broken answer), and by the time it arrives the disk is full.
      const answer = { access_token: 'A2', token_type: 'bearer', expires_in: 1209600, refresh_token: 'R2', extra: 'x'.repeat(64 * 1024) };
      const fill = () => {
        for (let i = 0; ; i++) {
          try {
            writeFileSync(join(mnt, `filler-${i}`), Buffer.alloc(4096));
          } catch {
            return;
          }
        }
      };
      const outcome = await TokenWrite.run(file, 5, (write) => write.spend(async () => (fill(), answer), (a) => ({ ...a, obtained_at: 'now' }))).catch((e: unknown) => e);
      expect(outcome, 'stored, not lost').not.toBeInstanceOf(Error);
      const stored = JSON.parse(readFileSync(file, 'utf8'));
      expect(stored).toMatchObject({ access_token: 'A2', refresh_token: 'R2', token_type: 'bearer', expires_in: 1209600, obtained_at: 'now' });
    } finally {
      spawnSync('umount', ['-l', mnt]);
    }
  });

  it('rehearse claims and gives back, under the lock, holding nothing', async () => {
    await TokenWrite.rehearse(path, 5);
    expect(files()).toEqual([]);
    expect(releases).not.toHaveBeenCalled();
    process.env.HH_TOKEN_GROUP = 'no-such-group-hh';
    await expect(TokenWrite.rehearse(path, 5)).rejects.toThrow(/does not exist/);
    expect(files()).toEqual([]);
  });
});
