import { fsyncSync, ftruncateSync, renameSync, writeSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errnoCode, HhOauthError, storeError } from '../errors';
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
    private readonly handle: FileHandle,
  ) {}

  /** Under the token file's lock. Fails (nothing sent, nothing left behind) when the file could not be replaced. */
  static async reserve(path: string): Promise<Reservation> {
    await ensureDir(dirname(path));
    await assertReplaceable(path);
    const owner = storeOwner(dirname(path));
    const temp = await keptPairPath(path);
    let handle: FileHandle | undefined;
    try {
      // 'wx': O_EXCL, so a name someone else made (a link, a file) is never opened.
      handle = await open(temp, 'wx', 0o600);
      await giveToStore(handle, path, owner);
      await handle.write(Buffer.alloc(RESERVE_BYTES, 0x20), 0, RESERVE_BYTES, 0);
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
    let bytes = Buffer.from(JSON.stringify(data, null, 2) + '\n');
    // Never more than the reader accepts (read-limits.ts): only a pathological answer gets here.
    if (bytes.length > READ_LIMITS.tokenFile) bytes = Buffer.from(JSON.stringify(data) + '\n');
    // From hh.ru's answer until the pair is in the temp file, a crash loses it (a run killed
    // after that leaves it for the next run to put in place). Synchronous calls keep this
    // stretch to the syscalls themselves: no thread-pool round trips, no other callbacks
    // run in between (measured by test/e2e/crash.test.ts).
    try {
      for (let done = 0; done < bytes.length; ) done += writeSync(handle.fd, bytes, done, bytes.length - done, done);
      ftruncateSync(handle.fd, bytes.length);
      fsyncSync(handle.fd);
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
