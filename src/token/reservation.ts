import { fsyncSync, ftruncateSync, renameSync, writeSync } from 'node:fs';
import { open, unlink, type QuickHandle } from '../files/quick-fs';
import { dirname } from 'node:path';
import { errnoCode, HhOauthError, storeError } from '../errors';
import { log } from '../output';
import { ensureDir, syncDir } from './directory';
import { causeHint, renameHint, writeHint } from './hints';
import { keptPairPath } from './kept-pair';
import { READ_LIMITS } from '../files/read-limits';
import { giveToStore, storeOwner } from './ownership';
import { assertReplaceable } from './replace-checks';

/**
 * Space claimed before a grant is spent, so a full disk fails before hh.ru burns the refresh
 * token. One block (a stored pair is ~400 bytes): commit() then truncates within it, which
 * frees nothing; truncating 16 KiB down took up to 4 ms under load, inside the crash window.
 */
export const RESERVE_BYTES = 4096;

/**
 * A write in two halves, for the write protocol (write.ts, its only user): reserve()
 * claims the temp file under the kept-pair name and its disk space before any grant is
 * spent; commit() then only overwrites claimed bytes and renames. This keeps the window
 * in which a crash loses a freshly issued pair as short as it can be.
 */
export class Reservation {
  /** claimed → committed, or → kept (rename failed: the temp file is the kept pair), or → released. */
  private state: 'claimed' | 'committed' | 'kept' | 'released' = 'claimed';

  private constructor(
    readonly path: string,
    readonly temp: string,
    private readonly handle: QuickHandle,
  ) {}

  /**
   * Under the token file's lock. Fails (nothing sent, nothing left behind) when the file could not be replaced.
   * `temp`: a name of the caller's for the claimed file (the PostgreSQL store's, unique per writer), else the kept-pair name.
   */
  static async reserve(path: string, opts: { temp?: string } = {}): Promise<Reservation> {
    await ensureDir(dirname(path));
    await assertReplaceable(path);
    const owner = storeOwner(dirname(path));
    const temp = opts.temp ?? (await keptPairPath(path));
    let handle: QuickHandle | undefined;
    try {
      // 'wx': O_EXCL, so a name someone else made (a link, a file) is never opened.
      handle = await open(temp, 'wx', 0o600);
      await giveToStore(handle, path, owner);
      await handle.write(Buffer.alloc(RESERVE_BYTES, 0x20), 0);
      await handle.sync();
    } catch (err) {
      await handle?.close().catch(() => undefined);
      // Only a file this call created: a name it could not create is someone else's.
      if (handle) await unlink(temp).catch(() => undefined);
      if (err instanceof HhOauthError) throw err;
      throw storeError(`cannot write beside ${path} (${errnoCode(err) ?? 'error'})`, writeHint(errnoCode(err)), err);
    }
    return new Reservation(path, temp, handle);
  }

  async commit(data: Record<string, unknown>): Promise<void> {
    if (this.state !== 'claimed') throw new Error(`token write already ${this.state}`);
    const handle = this.handle;
    const bytes = serialize(data);
    // From hh.ru's answer until the pair is in the temp file, a crash loses it (a run killed
    // after that leaves it for the next run to put in place). Synchronous calls keep this
    // stretch to the syscalls themselves: no thread-pool round trips, no other callbacks
    // run in between (measured by test/e2e/crash.test.ts).
    try {
      try {
        writeAll(handle.fd, bytes);
      } catch (err) {
        // More than the claimed space (an answer hh.ru bloated) on a disk that filled up since:
        // what the token file needs of the answer still fits in the claimed bytes.
        const code = errnoCode(err);
        const essential = serialize(essentials(data));
        if (bytes.length <= RESERVE_BYTES || essential.length > RESERVE_BYTES || (code !== 'ENOSPC' && code !== 'EDQUOT')) throw err;
        writeAll(handle.fd, essential);
        log.warn(`hh.ru's answer (${bytes.length} bytes) did not fit on the disk; stored what the token file needs of it (${ESSENTIAL_FIELDS.join(', ')})`);
      }
    } catch (err) {
      await this.release();
      const code = errnoCode(err) ?? 'error';
      throw storeError(
        `hh.ru issued a new token pair, but writing it beside ${this.path} failed (${code}); the pair is lost and the old one is spent`,
        `fix the cause (${causeHint(code)}), then authorize again: \`hh-oauth login\`, or \`hh-oauth authorize-url\` and \`hh-oauth exchange -\``,
        err,
      );
    }
    try {
      renameSync(this.temp, this.path);
    } catch (err) {
      // The new pair is complete and on disk: keep it. The next locked run puts it in place.
      this.state = 'kept';
      await handle.close().catch(() => undefined);
      const code = errnoCode(err) ?? 'error';
      throw storeError(
        `hh.ru issued a new token pair, but it cannot replace ${this.path} (${code}); the new pair is kept in ${this.temp}`,
        `${renameHint(code)}; then run hh-oauth again, which moves the kept pair into place (or \`mv ${this.temp} ${this.path}\`). The old pair is spent`,
        err,
      );
    }
    this.state = 'committed';
    await handle.close().catch(() => undefined);
    await syncDir(dirname(this.path));
  }

  /** Gives the claimed space back (the temp file goes). Only while claimed: a kept pair is never removed here. */
  async release(): Promise<void> {
    if (this.state !== 'claimed') return;
    this.state = 'released';
    await this.handle.close().catch(() => undefined);
    await unlink(this.temp).catch(() => undefined);
  }
}

/** What readers of the token file and the app token file use of a grant's answer (token/record.ts, token/app-token.ts). */
const ESSENTIAL_FIELDS = ['access_token', 'token_type', 'expires_in', 'refresh_token', 'obtained_at', 'expires_at'] as const;

function essentials(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(ESSENTIAL_FIELDS.filter((name) => name in data).map((name) => [name, data[name]]));
}

/** Pretty, as the bash tooling wrote it; compact when that would pass what the reader accepts (read-limits.ts): only a pathological answer gets there. */
function serialize(data: Record<string, unknown>): Buffer {
  const pretty = Buffer.from(JSON.stringify(data, null, 2) + '\n');
  return pretty.length > READ_LIMITS.tokenFile ? Buffer.from(JSON.stringify(data) + '\n') : pretty;
}

/** The whole of bytes at the start of the file, and nothing after them, on disk. */
function writeAll(fd: number, bytes: Buffer): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, done);
  ftruncateSync(fd, bytes.length);
  fsyncSync(fd);
}
