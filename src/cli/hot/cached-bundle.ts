import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Runs a CommonJS bundle of dist/ (hot-full.cjs) from a V8 code cache beside it
 * (`hot-full.cjs.cache`, written by scripts/code-cache.mjs when it is built): compiling
 * that bundle's 170 KB cost a due refresh about 10 ms, a sixth of the whole node:http
 * reference (docs/performance.md). Node 20 has no compile cache of its own
 * (module.enableCompileCache is Node 22), so the bundle runs through vm.Script with
 * cachedData, in the CommonJS wrapper `require` would give it.
 *
 * The cache is code, so it is used only when it is as trustworthy as the bundle: a regular
 * file owned by root or by this user, writable by no one else (like every file hh-oauth
 * reads), that holds a copy of exactly the bytes it was made from. V8 itself then refuses
 * a cache of another Node version or other V8 flags. A cache that is missing, untrusted,
 * stale or refused is not an error: the bundle is compiled from source, as require does.
 *
 * Node 20 refuses import() in code that vm compiled (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING
 * without an experimental flag), so the bundle has none: its build turns each import() of
 * a package into a call of `__hhImportEsm` (tsup.config.ts), which is `importEsm` here.
 */
export type CacheUse = 'used' | 'missing' | 'untrusted' | 'stale' | 'refused';

/** The cache file's layout (scripts/code-cache.mjs writes it): magic, format, sizes, the source, V8's data. */
export const CACHE_MAGIC = 'HHCC';
export const CACHE_FORMAT = 1;
const HEADER_BYTES = 16;
/** A cache is about 1.5× its bundle; more than this is not one of ours. */
const MAX_CACHE_BYTES = 32 * 1024 * 1024;

/** The CommonJS wrapper, on the bundle's first line so that stack traces keep its line numbers. Shared with scripts/code-cache.mjs. */
export const WRAPPER_PARAMS = ['exports', 'require', 'module', '__filename', '__dirname', '__hhImportEsm'] as const;
export const wrap = (source: string): string => `(function (${WRAPPER_PARAMS.join(', ')}) {${source}\n})`;

export interface LoadedBundle<T> {
  exports: T;
  cache: CacheUse;
}

export function runCachedBundle<T>(dir: string, name: string, importEsm: (specifier: string) => Promise<unknown>): LoadedBundle<T> {
  const file = join(dir, name);
  const source = readFileSync(file);
  const found = readCache(`${file}.cache`, source);
  // Required here, not at start-up: a run that finds the token valid loads no bundle.
  const { Script } = require('node:vm') as typeof import('node:vm');
  const script = new Script(wrap(source.toString('utf8')), { filename: file, cachedData: found.data });
  const cache: CacheUse = found.data && script.cachedDataRejected ? 'refused' : found.use;
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  const module = { exports: {} as T };
  run.call(module.exports, module.exports, require, module, file, dir, importEsm);
  return { exports: module.exports, cache };
}

/** V8's data from `path` when the file may be trusted and was made from exactly `source`. */
export function readCache(path: string, source: Buffer): { use: CacheUse; data?: Buffer } {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO there must not hang the run; O_NOFOLLOW: a link is not the package's file.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    return { use: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'untrusted' };
  }
  try {
    const info = fstatSync(fd);
    const uid = process.geteuid?.();
    if (!info.isFile() || (info.uid !== 0 && info.uid !== uid) || (info.mode & 0o022) !== 0 || info.size > MAX_CACHE_BYTES) return { use: 'untrusted' };
    const bytes = readFileSync(fd);
    if (bytes.length < HEADER_BYTES || bytes.toString('latin1', 0, 4) !== CACHE_MAGIC || bytes.readUInt32LE(4) !== CACHE_FORMAT) return { use: 'stale' };
    const sourceBytes = bytes.readUInt32LE(8);
    const dataBytes = bytes.readUInt32LE(12);
    if (HEADER_BYTES + sourceBytes + dataBytes !== bytes.length || sourceBytes !== source.length) return { use: 'stale' };
    if (!bytes.subarray(HEADER_BYTES, HEADER_BYTES + sourceBytes).equals(source)) return { use: 'stale' };
    return { use: 'used', data: bytes.subarray(HEADER_BYTES + sourceBytes) };
  } catch {
    return { use: 'untrusted' };
  } finally {
    closeSync(fd);
  }
}
