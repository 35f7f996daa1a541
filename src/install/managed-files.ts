import { randomBytes } from 'node:crypto';
import { copyFile, lstat, mkdir, open, readFile, readlink, rename, symlink, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoCode, HhOauthError } from '../errors';
import { inspectManaged } from './templates';

/**
 * The files install-units owns (unit files, the nginx config and its sites-enabled
 * link). Each is compared with what is on disk first, so an identical run touches
 * nothing and a file edited by hand is never replaced silently.
 */
export type Action = 'created' | 'updated' | 'unchanged';

export interface PlannedFile {
  path: string;
  /** File content, or for a symlink its target. */
  content?: string;
  link?: string;
  action: Action;
  /** Set when what is there was not written by us, or was edited since: needs --force. */
  conflict?: 'modified' | 'foreign';
  /** What was there before, to put back if nginx -t refuses the new config. */
  previous?: { content: string } | { link: string };
  /** Where a conflicting file is kept on --force. */
  backup: string;
}

function installError(message: string, err: unknown): HhOauthError {
  const code = errnoCode(err);
  const hint = code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
    ? 'run it as root (sudo hh-oauth install-units …), or try --dry-run, or --root DIR to write under a prefix'
    : 'check the directory options (--root, --systemd-dir, --nginx-dir)';
  return new HhOauthError('config', `${message} (${code ?? 'error'})`, { suggestion: hint, cause: err });
}

async function existing(path: string): Promise<{ content: string } | { link: string } | { other: true } | undefined> {
  try {
    const info = await lstat(path);
    if (info.isSymbolicLink()) return { link: await readlink(path) };
    if (info.isFile()) return { content: await readFile(path, 'utf8') };
    return { other: true };
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw installError(`cannot read ${path}`, err);
  }
}

export async function planFile(path: string, content: string): Promise<PlannedFile> {
  const old = await existing(path);
  const backup = `${path}.bak`;
  if (!old) return { path, content, action: 'created', backup };
  if ('content' in old) {
    if (old.content === content) return { path, content, action: 'unchanged', previous: old, backup };
    const state = inspectManaged(old.content);
    return { path, content, action: 'updated', previous: old, backup, ...(state === 'pristine' ? {} : { conflict: state }) };
  }
  return { path, content, action: 'updated', conflict: 'foreign', ...('link' in old ? { previous: old } : {}), backup };
}

/** A symlink (sites-enabled → sites-available). A foreign file there is backed up to `backup`, outside the include directory. */
export async function planLink(path: string, target: string, backup: string): Promise<PlannedFile> {
  const old = await existing(path);
  if (!old) return { path, link: target, action: 'created', backup };
  if ('link' in old && old.link === target) return { path, link: target, action: 'unchanged', previous: old, backup };
  return { path, link: target, action: 'updated', conflict: 'foreign', ...('other' in old ? {} : { previous: old }), backup };
}

/** Writes one planned file: temp file + fsync + rename, so a reader never sees half a unit. */
export async function applyFile(file: PlannedFile): Promise<void> {
  if (file.action === 'unchanged') return;
  const dir = dirname(file.path);
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    if (file.conflict && file.previous && 'content' in file.previous) await copyFile(file.path, file.backup);
    if (file.link !== undefined) await replaceLink(file.path, file.link);
    else await writeAtomic(file.path, file.content!);
  } catch (err) {
    if (err instanceof HhOauthError) throw err;
    throw installError(`cannot write ${file.path}`, err);
  }
}

async function writeAtomic(path: string, content: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o644);
  try {
    await handle.writeFile(content);
    await handle.chmod(0o644); // not subject to the umask: unit files must be world-readable
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

async function replaceLink(path: string, target: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  await symlink(target, temp);
  await rename(temp, path);
}

/** Puts back what was there before applyFile (used when nginx -t refuses the new config). */
export async function restoreFile(file: PlannedFile): Promise<void> {
  if (file.action === 'unchanged') return;
  try {
    if (!file.previous) await unlink(file.path).catch((err) => (errnoCode(err) === 'ENOENT' ? undefined : Promise.reject(err)));
    else if ('link' in file.previous) await replaceLink(file.path, file.previous.link);
    else await writeAtomic(file.path, file.previous.content);
  } catch (err) {
    throw installError(`cannot restore ${file.path}`, err);
  }
}
