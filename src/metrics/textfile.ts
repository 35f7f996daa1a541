import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode, storeError } from '../errors';

/** The file node_exporter's textfile collector reads in DIR. */
export const TEXTFILE_NAME = 'hh-oauth.prom';

/**
 * Writes DIR/hh-oauth.prom atomically, as the textfile collector requires: the text goes
 * into a temp file in DIR whose name does not end in .prom (the collector skips it), is
 * fsynced, then renamed over the old file, so a scrape sees the old figures or the new,
 * never half. Mode 0644: the collector runs as another user, and no figure is a secret.
 */
export function writeTextfile(dir: string, text: string): string {
  const target = join(dir, TEXTFILE_NAME);
  const temp = join(dir, `.${TEXTFILE_NAME}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', 0o644);
    const bytes = Buffer.from(text);
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, target);
    return target;
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // Never created, or already renamed.
    }
    throw storeError(`cannot write the metrics file in ${dir} (${errnoCode(err) ?? 'error'})`, 'make the directory writable by the user that runs hh-oauth (the service: ReadWritePaths= and its owner)', err);
  }
}
