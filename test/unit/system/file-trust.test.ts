import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HhOauthError } from '../../../src/errors';
import { assertTrustedDirectory, findProgram, readTrustedFile, trustedProgram } from '../../../src/system/file-trust';
import { isRoot, requires, secondUser } from '../../helpers';

/**
 * The trust rule itself (src/system/file-trust.ts), with a real second user owning the files:
 * owner root or us, no write for group or others, the same for the directory (a sticky one
 * excepted), links followed to the real file, and only small regular files read.
 */
const peer = secondUser();
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hh-oauth-trust-'));
  chmodSync(dir, 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const read = (path: string, extra: { optional?: boolean; maxBytes?: number } = {}) => readTrustedFile(path, { what: 'the test file', maxBytes: 1024, ...extra });
const refusal = (run: () => unknown): HhOauthError => {
  try {
    run();
  } catch (err) {
    if (err instanceof HhOauthError) return err;
    throw err;
  }
  throw new Error('it was trusted');
};

function file(name: string, mode: number, text = 'A=1\n'): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

describe('readTrustedFile', () => {
  it('reads our own file, 0600 to 0644, and says what mode it had', () => {
    for (const mode of [0o600, 0o640, 0o644, 0o400]) expect(read(file(`f${mode}`, mode))).toEqual({ text: 'A=1\n', mode: 0o100000 | mode });
  });

  it('refuses a file its group or every user may write, naming the mode and the chmod', () => {
    for (const [mode, who] of [[0o664, 'its group'], [0o606, 'every user'], [0o666, 'its group and every user']] as const) {
      const err = refusal(() => read(file(`w${mode}`, mode)));
      expect(err.code).toBe('config');
      expect(err.message).toMatch(new RegExp(`not trusting the test file \\S+w${mode}: \\S+ belongs to root \\(uid 0\\), mode 0${mode.toString(8)}, so ${who} could change it`));
      expect(err.suggestion).toMatch(/^check what it says first, then run chmod go-w \S+/);
    }
  });

  it("refuses the other user's file, and a file of ours in the other user's directory", (ctx) => {
    requires(ctx, 'root and a real second user', peer !== undefined);
    const theirs = file('theirs', 0o644);
    chownSync(theirs, peer!.uid, peer!.gid);
    const err = refusal(() => read(theirs));
    expect(err.message).toMatch(/belongs to hh-oauth-peer \(uid \d+\), mode 0644, so hh-oauth-peer \(uid \d+\) could change it/);
    expect(err.suggestion).toContain(`chown root ${theirs}`);

    const sub = join(dir, 'sub');
    mkdirSync(sub, { mode: 0o755 });
    writeFileSync(join(sub, 'ours'), 'A=1\n');
    chownSync(sub, peer!.uid, peer!.gid);
    const inTheirs = refusal(() => read(join(sub, 'ours')));
    expect(inTheirs.message).toMatch(/its directory \S+sub belongs to hh-oauth-peer .* could put another file in its place/);
    expect(inTheirs.suggestion).toContain(`chown root ${sub}`);
  });

  it('a sticky directory is no problem when we or root own it; a writable one that is not sticky is', () => {
    const sticky = join(dir, 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    writeFileSync(join(sticky, 'ours'), 'A=1\n');
    expect(read(join(sticky, 'ours'))?.text).toBe('A=1\n');
    chmodSync(sticky, 0o777);
    expect(refusal(() => read(join(sticky, 'ours'))).message).toMatch(/its directory \S+sticky belongs to root \(uid 0\), mode 0777/);
  });

  it("follows a link to the real file: a link of ours to the other user's directory is refused", (ctx) => {
    requires(ctx, 'root and a real second user', peer !== undefined);
    const sub = join(dir, 'theirs');
    mkdirSync(sub, { mode: 0o755 });
    writeFileSync(join(sub, 'real'), 'A=1\n');
    chownSync(sub, peer!.uid, peer!.gid);
    symlinkSync(join(sub, 'real'), join(dir, 'link'));
    expect(refusal(() => read(join(dir, 'link'))).message).toMatch(/its directory \S+theirs belongs to hh-oauth-peer/);
  });

  it('missing: undefined when optional, else the errno; a FIFO is refused at once; a big file is not read', () => {
    expect(read(join(dir, 'none'), { optional: true })).toBeUndefined();
    expect(read(join(dir, 'none', 'deeper'), { optional: true })).toBeUndefined();
    expect(refusal(() => read(join(dir, 'none'))).message).toMatch(/cannot read the test file \S+none \(ENOENT\)/);
    expect(spawnSync('mkfifo', [join(dir, 'fifo')]).status).toBe(0);
    expect(refusal(() => read(join(dir, 'fifo'))).message).toMatch(/fifo is not a regular file/);
    expect(refusal(() => read(dir)).message).toMatch(/\(EISDIR\)/);
    const big = file('big', 0o600, 'x'.repeat(2000));
    expect(refusal(() => read(big)).message).toMatch(/is larger than 1 KiB; refusing to read it/);
  });
});

describe('programs', () => {
  it('findProgram: a path as given, a name through PATH in order (an empty entry is the working directory)', () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    mkdirSync(a);
    mkdirSync(b);
    for (const d of [a, b]) {
      writeFileSync(join(d, 'tool'), '#!/bin/sh\n');
      chmodSync(join(d, 'tool'), 0o755);
    }
    writeFileSync(join(a, 'plain'), 'not executable');
    expect(findProgram('tool', `${a}:${b}`)).toBe(join(a, 'tool'));
    expect(findProgram('tool', `/nonexistent:${b}:${a}`)).toBe(join(b, 'tool'));
    expect(findProgram('plain', a)).toBeUndefined();
    expect(findProgram(join(b, 'tool'), '')).toBe(join(b, 'tool'));
    expect(findProgram('sh', undefined)).toMatch(/\/sh$/);
    const cwd = process.cwd();
    try {
      process.chdir(b);
      expect(findProgram('tool', `/nonexistent::${a}`)).toBe(join(b, 'tool'));
    } finally {
      process.chdir(cwd);
    }
  });

  it("trustedProgram: the system's tools are trusted; one in a directory others may write is not", () => {
    expect(trustedProgram('the host tool', 'sh', '/usr/bin:/bin')).toMatch(/\/sh$/);
    expect(trustedProgram('the host tool', 'no-such-tool-here', '/usr/bin')).toBeUndefined();
    const open = join(dir, 'open');
    mkdirSync(open);
    writeFileSync(join(open, 'systemctl'), '#!/bin/sh\n');
    chmodSync(join(open, 'systemctl'), 0o755);
    chmodSync(open, 0o777);
    const err = refusal(() => trustedProgram('the host tool', 'systemctl', open));
    expect(err.message).toMatch(/not trusting the host tool systemctl, found on PATH at \S+open\/systemctl: its directory \S+open belongs to root \(uid 0\), mode 0777/);
  });
});

describe('assertTrustedDirectory', () => {
  it("ours is fine, a missing one is (it will be created), the other user's is not", (ctx) => {
    assertTrustedDirectory('the configuration directory', dir);
    assertTrustedDirectory('the configuration directory', join(dir, 'later'));
    requires(ctx, 'root and a real second user', isRoot && peer !== undefined);
    chownSync(dir, peer!.uid, peer!.gid);
    expect(refusal(() => assertTrustedDirectory('the configuration directory', dir)).message).toMatch(/not trusting the configuration directory \S+: \S+ belongs to hh-oauth-peer/);
  });
});
