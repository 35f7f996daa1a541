#!/usr/bin/env node
// node scripts/code-cache.mjs dist/hot-full.cjs: writes dist/hot-full.cjs.cache, the V8 code
// cache that main.cjs runs the bundle from (src/cli/hot/cached-bundle.ts reads it; the layout
// and the wrapper are defined there, and test/unit/cli/cached-bundle.test.ts checks that this
// file agrees). npm run build runs it (tsup.config.ts) with the Node that built dist/: V8
// refuses the cache under another Node version or other V8 flags, and the bundle is then
// compiled from source, as before.
//
// Every function is compiled now (--no-lazy, for this compile only), so that a run finds in
// the cache the functions it calls, not only the bundle's top level.
import { chmodSync, renameSync, readFileSync, writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import { fileURLToPath } from 'node:url';

export const CACHE_MAGIC = 'HHCC';
export const CACHE_FORMAT = 1;
export const WRAPPER_PARAMS = ['exports', 'require', 'module', '__filename', '__dirname', '__hhImportEsm'];
export const wrap = (source) => `(function (${WRAPPER_PARAMS.join(', ')}) {${source}\n})`;

/** The cache file's bytes for a bundle's source bytes. */
export function codeCache(file, source) {
  let script;
  setFlagsFromString('--no-lazy');
  try {
    script = new Script(wrap(source.toString('utf8')), { filename: file });
  } finally {
    // V8 records its flags in the cache: back to the default before the data is made.
    setFlagsFromString('--lazy');
  }
  const data = script.createCachedData();
  const header = Buffer.alloc(16);
  header.write(CACHE_MAGIC, 0, 'latin1');
  header.writeUInt32LE(CACHE_FORMAT, 4);
  header.writeUInt32LE(source.length, 8);
  header.writeUInt32LE(data.length, 12);
  return Buffer.concat([header, source, data]);
}

/** Writes `${file}.cache` whole or not at all (a temp file, then rename), readable by all, writable by its owner only. */
export function writeCodeCache(file) {
  const bytes = codeCache(file, readFileSync(file));
  const temp = `${file}.cache.${process.pid}.tmp`;
  writeFileSync(temp, bytes);
  // Not left to the umask: a group-writable cache is refused (cached-bundle.ts).
  chmodSync(temp, 0o644);
  renameSync(temp, `${file}.cache`);
  return bytes.length;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node scripts/code-cache.mjs BUNDLE.cjs…');
    process.exit(2);
  }
  for (const file of files) writeCodeCache(file);
}
