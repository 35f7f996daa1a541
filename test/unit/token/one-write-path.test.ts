import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The write protocol (src/token/write.ts) is the one way to spend a grant and store its
 * answer: read from the source, so that a new command cannot grow a second path quietly.
 */
const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

function sources(dir = SRC): Array<{ file: string; text: string }> {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [{ file: relative(SRC, path), text: readFileSync(path, 'utf8') }] : [];
  });
}

/** Files that import the module (by its path relative to src/, without .ts). */
function importersOf(module: string): string[] {
  return sources()
    .filter(({ file, text }) => [...text.matchAll(/from '([^']+)'/g)].some(([, spec]) => join(file, '..', spec!) === module))
    .map(({ file }) => file)
    .sort();
}

describe('one write path', () => {
  it('every grant request is made inside TokenWrite.spend', () => {
    const calls = sources().flatMap(({ file, text }) =>
      text.split('\n').flatMap((line, i) => (/\.(userGrant|appGrant)\(/.test(line) ? [{ where: `${file}:${i + 1}`, line: line.trim() }] : [])),
    );
    expect(calls.length, 'the refresh, the code exchange and the application token').toBe(3);
    for (const { where, line } of calls) expect(line, where).toMatch(/\bwrite\.spend\(\(\) => client\.(userGrant|appGrant)\(/);
  });

  it('the grant forms are built in one module (the sandbox, which answers them, aside)', () => {
    const builders = sources()
      .filter(({ file, text }) => !file.startsWith('sandbox/') && /\bgrant_type\s*:/.test(text))
      .map(({ file }) => file);
    expect(builders).toEqual(['hh/grant-forms.ts']);
  });

  it('the pieces of the protocol are used by the protocol alone', () => {
    expect(importersOf('token/reservation')).toEqual(['token/write.ts']);
    expect(importersOf('token/quarantine')).toEqual(['token/write.ts']);
    expect(importersOf('token/token-lock').filter((f) => !['token/write.ts', 'token/discard.ts'].includes(f))).toEqual(['store/file-store.ts']);
  });

  it('commands reach the write protocol only through a store (src/store/)', () => {
    expect(importersOf('token/write')).toEqual(['store/file-store.ts']);
    expect(importersOf('token/discard').filter((f) => !f.startsWith('store/'))).toEqual([]);
    // The store itself is opened by lifecycle/ (stores.ts) and the `store` command only.
    const outside = (f: string) => !/^(lifecycle|store|commands)\//.test(f);
    expect([...importersOf('store/store'), ...importersOf('store/file-store')].filter(outside)).toEqual([]);
  });

  it('signals are listened to in one module (the sandbox, a test server, aside)', () => {
    const listeners = sources()
      .filter(({ text }) => /process\.(on|once)\(\s*('SIG|signal\b)/.test(text))
      .map(({ file }) => file)
      .sort();
    expect(listeners).toEqual(['commands/sandbox.ts', 'token/signal-guard.ts']);
    expect(importersOf('token/signal-guard')).toEqual(['commands/login.ts', 'commands/refresh/all.ts', 'token/write.ts']);
  });
});
