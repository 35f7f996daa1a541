import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCachedBundle } from '../../../src/cli/hot/cached-bundle';
import { isRoot, NOBODY, REPO_ROOT, skipUnless, useTempDirs } from '../../helpers';

/**
 * The loader of dist/hot-full.cjs (src/cli/hot/cached-bundle.ts) and the build step that
 * writes its code cache (scripts/code-cache.mjs): a cache is used only when it is the
 * package's own file, made from exactly these bytes, and accepted by V8; anything else
 * runs the bundle from source, with the same result.
 */
const tempDir = useTempDirs('hh-oauth-cache-');

// A CommonJS bundle as esbuild writes one: `use strict`, a built-in required, a package imported through the loader.
const BUNDLE = `"use strict";
var path = require("node:path");
module.exports = { answer: (x) => path.basename("/a/" + x), colour: () => __hhImportEsm("chalk"), where: () => __filename };
`;

// V8 keeps what it compiled per source in this process: each test gets a source of its own.
let made = 0;
function bundleDir(source = `${BUNDLE}// ${++made}\n`): { dir: string; file: string; cache: string; source: string } {
  const dir = tempDir();
  const file = join(dir, 'bundle.cjs');
  writeFileSync(file, source);
  return { dir, file, cache: `${file}.cache`, source };
}

/**
 * The build step, as npm run build runs it: in a Node of its own. (In this process V8 would
 * keep what the step compiled and hand it to the loader without reading the cache at all.)
 */
const writer = { writeCodeCache: (file: string) => execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'code-cache.mjs'), file]) };

const importEsm = async (specifier: string) => ({ imported: specifier });

function load(dir: string) {
  return runCachedBundle<{ answer(x: string): string; colour(): Promise<unknown>; where(): string }>(dir, 'bundle.cjs', importEsm);
}

describe('the code cache of a CommonJS bundle', () => {
  // Also the proof that the two agree on the wrapper (another would change the source V8 sees: refused) and the layout (stale).
  it('is used when the build step wrote it, and the bundle works as when required', async () => {
    const { dir, file, cache, source } = bundleDir();
    writer.writeCodeCache(file);
    expect(readFileSync(cache).subarray(16, 16 + source.length).toString()).toBe(source);
    const loaded = load(dir);
    expect(loaded.cache).toBe('used');
    expect(loaded.exports.answer('b.txt')).toBe('b.txt');
    expect(loaded.exports.where()).toBe(file);
    await expect(loaded.exports.colour()).resolves.toEqual({ imported: 'chalk' });
  });

  it('a missing cache: the bundle runs from source', () => {
    const { dir } = bundleDir();
    const loaded = load(dir);
    expect(loaded.cache).toBe('missing');
    expect(loaded.exports.answer('c')).toBe('c');
  });

  it('is not used when group or others may write it, or when it is a link or a FIFO', () => {
    for (const mode of [0o664, 0o646]) {
      const { dir, file, cache } = bundleDir();
      writer.writeCodeCache(file);
      chmodSync(cache, mode);
      expect(load(dir).cache, mode.toString(8)).toBe('untrusted');
    }
    const linked = bundleDir();
    writer.writeCodeCache(linked.file);
    const real = join(linked.dir, 'elsewhere.cache');
    writeFileSync(real, readFileSync(linked.cache));
    execFileSync('rm', [linked.cache]);
    symlinkSync(real, linked.cache);
    expect(load(linked.dir).cache).toBe('untrusted');
    const fifo = bundleDir();
    execFileSync('mkfifo', [fifo.cache]);
    // Never read (it would wait for a writer for ever): refused by its type.
    expect(load(fifo.dir).cache).toBe('untrusted');
  });

  it.skipIf(skipUnless(isRoot, 'giving the cache to another user (chown) needs root'))('is not used when another user owns it (only root or this user)', () => {
    const { dir, file, cache } = bundleDir();
    writer.writeCodeCache(file);
    chownSync(cache, NOBODY, NOBODY);
    expect(load(dir).cache).toBe('untrusted');
    chownSync(cache, 0, 0);
    expect(load(dir).cache).toBe('used');
  });

  it('is not used for other bytes of the same length (V8 itself checks only the length), nor when cut short', () => {
    const { dir, file, cache, source } = bundleDir();
    writer.writeCodeCache(file);
    const changed = source.replace('"/a/"', '"/b/"');
    expect(changed.length).toBe(source.length);
    writeFileSync(file, changed);
    const loaded = load(dir);
    expect(loaded.cache).toBe('stale');
    expect(loaded.exports.answer('d')).toBe('d');
    writer.writeCodeCache(file);
    const bytes = readFileSync(cache);
    writeFileSync(cache, bytes.subarray(0, bytes.length - 1));
    expect(load(dir).cache).toBe('stale');
    writeFileSync(cache, Buffer.concat([Buffer.from('XXXX'), bytes.subarray(4)]));
    expect(load(dir).cache).toBe('stale');
  });

  it('V8 refusing the data (another Node, other flags, damage in its header) runs the bundle from source', () => {
    const { dir, file, cache, source } = bundleDir();
    writer.writeCodeCache(file);
    const bytes = readFileSync(cache);
    const data = 16 + source.length;
    // V8's own header leads its data: magic number, then the version hash.
    for (let i = data; i < data + 8; i++) bytes[i] = bytes[i]! ^ 0xff;
    writeFileSync(cache, bytes);
    const loaded = load(dir);
    expect(loaded.cache).toBe('refused');
    expect(loaded.exports.answer('e')).toBe('e');
  });
});
