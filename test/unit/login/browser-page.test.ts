import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeBrowserPage } from '../../../src/login/browser-page';

const LINK = 'https://example.org/callback?x=1&hh_oauth_start=0123456789abcdef0123456789abcdef';

describe('the page login hands the browser opener instead of the start link', () => {
  let root: string;
  let savedTmp: string | undefined;
  let fallback: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hh-oauth-page-test-'));
    // os.tmpdir() follows TMPDIR: the fallback's directory is one this test can list.
    fallback = join(root, 'tmp');
    mkdirSync(fallback);
    savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = fallback;
  });
  afterEach(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    rmSync(root, { recursive: true, force: true });
  });

  function runtimeDir(mode: number): string {
    const dir = join(root, 'run');
    mkdirSync(dir);
    chmodSync(dir, mode);
    return dir;
  }

  it('a 0600 file in a fresh 0700 directory under $XDG_RUNTIME_DIR, even with umask 0; removed with its directory, twice is fine', () => {
    const run = runtimeDir(0o700);
    const umask = process.umask(0);
    let page;
    try {
      page = writeBrowserPage(LINK, { XDG_RUNTIME_DIR: run });
    } finally {
      process.umask(umask);
    }
    expect(dirname(dirname(page.path))).toBe(run);
    expect(lstatSync(page.path).mode & 0o777).toBe(0o600);
    expect(lstatSync(dirname(page.path)).mode & 0o777).toBe(0o700);
    expect(lstatSync(page.path).uid).toBe(process.getuid!());
    // The file's name says nothing of the link: only its content holds the nonce.
    expect(page.path).not.toContain('0123456789abcdef');
    page.remove();
    expect(existsSync(page.path)).toBe(false);
    expect(readdirSync(run)).toEqual([]);
    page.remove();
  });

  it('sends the browser on with a meta refresh and a plain link, the URL escaped, no script', () => {
    const page = writeBrowserPage(LINK, {});
    try {
      const html = readFileSync(page.path, 'utf8');
      const escaped = LINK.replace('&', '&#38;');
      expect(html).toContain(`<meta http-equiv="refresh" content="0; url=${escaped}">`);
      expect(html).toContain(`<a href="${escaped}">`);
      expect(html).toContain('<meta name="referrer" content="no-referrer">');
      expect(html).not.toMatch(/<script/i);
    } finally {
      page.remove();
    }
  });

  it('an attribute-breaking link stays inside the attribute', () => {
    const page = writeBrowserPage('http://h/cb?a="><b>', {});
    try {
      expect(readFileSync(page.path, 'utf8')).not.toContain('"><b>');
    } finally {
      page.remove();
    }
  });

  it.each([
    ['unset', () => undefined],
    ['relative', () => 'run'],
    ['missing', () => join(root, 'nowhere')],
    ['open to others (0755)', () => runtimeDir(0o755)],
    ['a symlink to a 0700 directory', () => {
      const real = runtimeDir(0o700);
      symlinkSync(real, join(root, 'link'));
      return join(root, 'link');
    }],
  ])('$XDG_RUNTIME_DIR %s: a fresh 0700 directory under the temp directory instead', (_, make) => {
    const run = make();
    const page = writeBrowserPage(LINK, run === undefined ? {} : { XDG_RUNTIME_DIR: run });
    try {
      expect(dirname(dirname(page.path))).toBe(fallback);
      expect(lstatSync(dirname(page.path)).mode & 0o777).toBe(0o700);
      expect(lstatSync(page.path).mode & 0o777).toBe(0o600);
    } finally {
      page.remove();
    }
    expect(readdirSync(fallback)).toEqual([]);
  });
});
