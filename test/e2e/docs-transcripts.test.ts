import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The few outputs the docs quote as the CLI prints them, compared with what the built CLI
 * prints now (npm test builds first). No sandbox and no network: these runs need none,
 * and none of them sees a secret.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'hh-oauth');
const dir = mkdtempSync(join(tmpdir(), 'hh-docs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: dir,
  HH_CONFIG_DIR: join(dir, 'cfg'),
  HH_TOKEN_FILE: join(dir, 'state', 'token.json'),
  // Nothing listens there: the clock check gives up at once instead of asking hh.ru.
  HH_API_URL: 'http://127.0.0.1:9',
  HH_HTTP_RETRIES: '0',
  HH_HTTP_TIMEOUT: '2',
};

function cli(...args: string[]) {
  const out = spawnSync(process.execPath, ['--', BIN, ...args], { env, encoding: 'utf8', timeout: 20_000 });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

function allDocs(): string {
  let text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.md')) text += '\n' + readFileSync(path, 'utf8');
    }
  };
  walk(join(ROOT, 'docs'));
  return text;
}

/** A line's shape: its numbers made wildcards. */
const shape = (line: string) => new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\d+/g, '\\d+')}$`);

describe('the outputs the docs quote', () => {
  it("doctor's summary lines read as the docs show them", () => {
    const run = cli('doctor', '--skip-systemd', '--skip-nginx');
    expect(run.code).not.toBe(0);
    const summary = run.stdout.trim().split('\n').at(-1)!;
    const failed = /^error: \d+ of (\d+) checks failed$/m.exec(run.stderr);
    expect(failed, run.stderr).not.toBeNull();

    const docs = allDocs();
    // Every line in the docs that looks like a doctor summary ("N …, N …, N skipped").
    const quoted = [...docs.matchAll(/(?:\b[a-z]+: )?\d+ [a-z]+, \d+ [a-z]+, \d+ skipped/g)].map((m) => m[0]);
    expect(quoted.length).toBeGreaterThan(2);
    expect(quoted.filter((q) => !shape(summary).test(q))).toEqual([]);
    const totals = [...docs.matchAll(/(?:\d+|N) of (\d+) checks failed/g)].map((m) => m[1]);
    expect(totals.length).toBeGreaterThan(0);
    expect(totals.filter((n) => n !== failed![1])).toEqual([]);
  });

  it('the config list transcript in docs/configuration.md has the keys config list prints, in order', () => {
    const keys = (table: string) => table.trim().split('\n').map((line) => line.split(/\s+/)[0]);
    const run = cli('config', 'list');
    expect(run.code).toBe(0);
    const text = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
    const block = /\$ [^\n]*hh-oauth [^\n]*config list\n[^\n]*\n([\s\S]*?)\n```/.exec(text);
    expect(block, 'no config list transcript in docs/configuration.md').not.toBeNull();
    expect(keys(block![1]!)).toEqual(keys(run.stdout));
  });

  it('the mode advice for a group-readable token file is the one docs/commands.md quotes', () => {
    const file = env.HH_TOKEN_FILE;
    mkdirSync(join(dir, 'state'), { recursive: true, mode: 0o700 });
    const now = Date.now();
    const record = { access_token: 'ACCESS-not-a-real-token', token_type: 'bearer', expires_in: 1209600, refresh_token: 'REFRESH-not-a-real-token' };
    writeFileSync(file, JSON.stringify({ ...record, obtained_at: new Date(now).toISOString(), expires_at: new Date(now + 1209600_000).toISOString() }));
    chmodSync(file, 0o644);
    const run = cli('status');
    expect(run.code).toBe(0);
    const warning = run.stderr.split('\n').find((l) => l.includes('lets others read'));
    expect(warning, run.stderr).toBeDefined();
    const quoted = warning!.split(file).join('…');
    expect(quoted).toContain('chmod 0640');
    expect(readFileSync(join(ROOT, 'docs', 'commands.md'), 'utf8')).toContain(quoted);
  });
});
