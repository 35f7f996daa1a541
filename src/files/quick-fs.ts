import { closeSync, fchmodSync, fchownSync, fstatSync, fsync, linkSync, openSync, readdirSync, statSync, unlinkSync, writeFileSync, writeSync, type Stats } from 'node:fs';

/**
 * The few calls of fs/promises that the token write path makes (lock, debris, claim,
 * commit), with the same promise-returning shape, done by node:fs's synchronous calls. Each
 * of them takes microseconds on a local disk, but through fs/promises each was a round trip
 * to Node's thread pool, and loading fs/promises itself costs about 2 ms: together a tenth
 * of a due refresh (docs/performance.md). The exception is fsync, which waits for the disk:
 * it stays on the thread pool (node:fs's callback), so that `refresh --all` still syncs
 * several profiles at once. Errors are node:fs's own (same `code`), as rejections.
 */
export class QuickHandle {
  private closed = false;

  constructor(readonly fd: number) {}

  async stat(): Promise<Stats> {
    return fstatSync(this.fd);
  }

  async chown(uid: number, gid: number): Promise<void> {
    fchownSync(this.fd, uid, gid);
  }

  async chmod(mode: number): Promise<void> {
    fchmodSync(this.fd, mode);
  }

  /** All of bytes at position (a short write is continued; a full disk throws). */
  async write(bytes: Buffer, position: number): Promise<void> {
    for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done, bytes.length - done, position + done);
  }

  async writeFile(data: string): Promise<void> {
    writeFileSync(this.fd, data);
  }

  sync(): Promise<void> {
    return new Promise((resolve, reject) => fsync(this.fd, (err) => (err ? reject(err) : resolve())));
  }

  /** Once: a descriptor number closed twice could be another file's by then. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

export async function open(path: string, flags: string | number, mode?: number): Promise<QuickHandle> {
  return new QuickHandle(openSync(path, flags, mode));
}

export async function link(existing: string, path: string): Promise<void> {
  linkSync(existing, path);
}

export async function unlink(path: string): Promise<void> {
  unlinkSync(path);
}

export async function stat(path: string): Promise<Stats> {
  return statSync(path);
}

export async function readdir(path: string): Promise<string[]> {
  return readdirSync(path);
}
