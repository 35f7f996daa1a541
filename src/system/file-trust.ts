import { accessSync, closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { delimiter, dirname, resolve } from 'node:path';
import { configError, errnoCode, HhOauthError } from '../errors';
import { nameInFile } from './accounts';

/**
 * Who may have written what hh-oauth reads settings, secrets or hook commands from, and the
 * programs it runs (docs/security/settings.md). Trusted means: owned by the user running
 * hh-oauth or by root, not writable by its group or by others, and the same for the
 * directory that holds it, since whoever may write a directory may put another file in the
 * place of this one. A sticky directory (/tmp) that we or root own is the one exception for
 * the directory: there only a file's owner may rename or remove it.
 *
 * Both the directory named and, for a link, the real file's directory are checked. Owners
 * and modes come from the open descriptor (fstat), so the file checked is the file read.
 * Synchronous and node:fs only: the hot path reads the settings through here.
 */

const me = (): number | undefined => process.geteuid?.();
const octal = (mode: number) => `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
const ownerName = (uid: number) => `${nameInFile('passwd', uid) ?? 'an unknown user'} (uid ${uid})`;
/** Who should own it: the user running hh-oauth, by name where it has one. */
const wantedOwner = () => (me() === 0 ? 'root' : (nameInFile('passwd', me()!) ?? String(me())));

/** Why these owner and mode are not trusted, and the command that fixes them; undefined when they are. */
function problem(st: Stats, path: string, kind: 'file' | 'directory'): { why: string; fix: string[] } | undefined {
  const uid = me();
  if (uid === undefined) return undefined; // no POSIX owners (Windows): nothing to check
  const foreignOwner = st.uid !== uid && st.uid !== 0;
  const sticky = kind === 'directory' && (st.mode & 0o1000) !== 0;
  const writable = sticky ? 0 : st.mode & 0o022;
  if (!foreignOwner && !writable) return undefined;
  const who = [foreignOwner ? ownerName(st.uid) : '', writable & 0o020 ? 'its group' : '', writable & 0o002 ? 'every user' : ''].filter(Boolean);
  const fix: string[] = [];
  if (foreignOwner) fix.push(`chown ${wantedOwner()} ${path}`);
  if (writable) fix.push(`chmod go-w ${path}`);
  return {
    why: `${kind === 'directory' ? 'its directory ' : ''}${path} belongs to ${ownerName(st.uid)}, mode ${octal(st.mode)}, so ${who.join(' and ')} could ${kind === 'directory' ? 'put another file in its place' : 'change it'}`,
    fix,
  };
}

function untrusted(what: string, path: string, found: { why: string; fix: string[] }): HhOauthError {
  const who = me() === 0 ? 'root' : `you (${wantedOwner()}) or root`;
  return configError(
    `not trusting ${what} ${path}: ${found.why}; only files that ${who} own${me() === 0 ? 's' : ''} and nobody else may write are trusted`,
    `check what it says first, then run ${found.fix.join(' && ')} (or move it somewhere that is yours)`,
  );
}

/** The directories that hold a path: the one named and, through links, the real one. */
function directoriesOf(path: string): string[] {
  const named = dirname(resolve(path));
  let real = named;
  try {
    real = dirname(realpathSync(path));
  } catch {
    // gone since it was opened: the named directory is all there is
  }
  return real === named ? [named] : [named, real];
}

/** Throws unless the file (stat given) and every directory holding it are trusted. */
function assertTrusted(what: string, path: string, st: Stats): void {
  const own = problem(st, path, 'file');
  if (own) throw untrusted(what, path, own);
  for (const dir of directoriesOf(path)) {
    const found = problem(statSync(dir), dir, 'directory');
    if (found) throw untrusted(what, path, found);
  }
}

/** A directory hh-oauth keeps its own files in (the configuration directory): ours or root's, closed to others. */
export function assertTrustedDirectory(what: string, dir: string): void {
  let st: Stats;
  try {
    st = statSync(dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw configError(`cannot look at ${what} ${dir} (${errnoCode(err) ?? 'error'})`, 'check the path and its permissions');
  }
  const found = problem(st, dir, 'directory');
  if (found) throw untrusted(what, dir, { why: found.why.replace(/^its directory /, ''), fix: found.fix });
}

export interface TrustedRead {
  text: string;
  /** The file's mode, for warnings about who may read it. */
  mode: number;
}

export interface ReadOptions {
  /** How the message names it: "env file", "the system settings file", … */
  what: string;
  /** The largest file accepted; settings and secrets are small, a bigger one is a mistake. */
  maxBytes: number;
  /** A missing file is no error: undefined is returned. */
  optional?: boolean;
  /** Errors other than "missing" (EACCES, …); the default names the errno. */
  unreadable?: (code: string) => HhOauthError | undefined;
}

/**
 * Reads a small file that settings or a secret come from, once it is trusted. Opened
 * non-blocking, so that a FIFO put in its place does not hang the run; only a regular
 * file is read, and at most maxBytes of it.
 */
export function readTrustedFile(path: string, opts: ReadOptions): TrustedRead | undefined {
  const refuse = (code: string): undefined => {
    const mapped = opts.unreadable ? opts.unreadable(code) : configError(`cannot read ${opts.what} ${path} (${code})`, 'check the path and that this user can read it');
    if (mapped === undefined) return undefined;
    throw mapped;
  };
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    const code = errnoCode(err) ?? 'error';
    if (opts.optional && (code === 'ENOENT' || code === 'ENOTDIR')) return undefined;
    return refuse(code);
  }
  try {
    const st = fstatSync(fd);
    // A directory opens read-only; reading it would fail with EISDIR, so say that.
    if (st.isDirectory()) return refuse('EISDIR');
    if (!st.isFile()) throw configError(`${opts.what} ${path} is not a regular file`, `point it at a regular file, or move ${path} away`);
    assertTrusted(opts.what, path, st);
    if (st.size > opts.maxBytes) throw tooLarge(opts, path);
    const buffer = Buffer.alloc(opts.maxBytes + 1);
    let length = 0;
    for (let n = 1; n > 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > opts.maxBytes) throw tooLarge(opts, path);
    return { text: buffer.subarray(0, length).toString('utf8'), mode: st.mode };
  } finally {
    closeSync(fd);
  }
}

function tooLarge(opts: ReadOptions, path: string): HhOauthError {
  return configError(`${opts.what} ${path} is larger than ${opts.maxBytes / 1024} KiB; refusing to read it`, `check that ${path} is the file you meant`);
}

/** True when users other than the owner and its group may read this mode: a secret there is everybody's. */
export const readableByOthers = (mode: number): boolean => (mode & 0o004) !== 0;

/**
 * Where the system would find a program: a name with a slash is a path (from the working
 * directory), any other is looked up in PATH as execvp(3) does (an empty entry is the
 * working directory; no PATH means /usr/bin:/bin). Undefined when there is none.
 */
export function findProgram(name: string, path: string | undefined): string | undefined {
  if (name.includes('/')) return resolve(name);
  for (const dir of (path ?? '/usr/bin:/bin').split(delimiter)) {
    const candidate = resolve(dir || '.', name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The program to run for `name`, as an absolute path, once it is trusted: the file PATH
 * finds (or the path given), the real file behind a link, and the directories holding
 * both. Undefined when there is no such program (the caller reports "not found"). Run it
 * by the returned path, so that what runs is what was checked.
 */
export function trustedProgram(what: string, name: string, path: string | undefined): string | undefined {
  const found = findProgram(name, path);
  if (found === undefined) return undefined;
  let st: Stats;
  try {
    st = statSync(found);
  } catch {
    return undefined;
  }
  assertTrusted(name.includes('/') ? what : `${what} ${name}, found on PATH at`, found, st);
  return found;
}
