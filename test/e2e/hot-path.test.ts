import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fakePair, hoursFromNow, jsonOut, PRELOAD, REPO_ROOT, runCli, sleep, useHarness, writeTokenFile } from '../helpers';

const h = useHarness({ expiresIn: 1 });

/** A token file valid for two weeks: `refresh` must find it not due without asking anyone. */
const validTokenFile = () => writeTokenFile(h.tokenFile, fakePair(hoursFromNow(14 * 24)));

let traces = 0;
/**
 * Runs the CLI with the load recorders (test/helpers/record-*): the CommonJS files it
 * required and Node's internal modules always; with `esm`, also the ES modules it
 * resolved (whose recorder would pollute the internal list, so it is opt-in).
 */
async function traced(args: string[], opts: { esm?: boolean; secretStdout?: boolean; env?: Record<string, string> } = {}) {
  const log = join(h.dir, `loads-${++traces}.log`);
  const preload = [`--require=${PRELOAD.recordLoads}`, ...(opts.esm ? [`--import=${PRELOAD.recordEsm}`] : [])];
  const env = h.env({ ...opts.env, NODE_OPTIONS: preload.join(' '), HH_TEST_LOAD_LOG: log });
  const out = await runCli(args, { env, secretStdout: opts.secretStdout });
  const lines = readFileSync(log, 'utf8').split('\n');
  const ours = (path: string) => (path.startsWith(REPO_ROOT) ? path.slice(REPO_ROOT.length) : path);
  const cjs = lines.filter((l) => l.startsWith('cjs: ')).map((l) => ours(l.slice(5)));
  const esm = lines.filter((l) => l.startsWith('esm: file://')).map((l) => ours(fileURLToPath(l.slice(5)))).filter((f) => !f.startsWith('test/'));
  const internal = lines.filter((l) => l.startsWith('internal: ')).map((l) => l.slice(10));
  return { out, cjs, esm, internal, esmLoader: internal.includes('NativeModule internal/modules/esm/loader') };
}

// Node's fetch (undici), HTTP, crypto, the terminal, fs/promises, and the streams behind process.stdout.
const heavyInternals = (internal: string[]) =>
  internal.filter((m) => /undici|NativeModule (http|https|crypto|tty|child_process|net|stream|fs\/promises)$/.test(m));

describe('the hot path (dist/main.cjs), through the built CLI', () => {
  it('a refresh that finds the token valid reads one file of ours and never starts the ES loader, fetch, crypto or streams', async () => {
    validTokenFile();
    const { out, cjs, esmLoader, internal } = await traced(['refresh', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).status).toBe('not_due');
    expect(cjs).toEqual(['bin/hh-oauth', 'dist/main.cjs']);
    expect(esmLoader).toBe(false);
    expect(heavyInternals(internal)).toEqual([]);
  });

  it('--version and -V print the version from the same single file', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    for (const flag of ['--version', '-V']) {
      const { out, cjs, esmLoader, internal } = await traced([flag]);
      expect(out.stdout).toBe(`${version}\n`);
      expect(cjs).toEqual(['bin/hh-oauth', 'dist/main.cjs']);
      expect(esmLoader).toBe(false);
      expect(heavyInternals(internal)).toEqual([]);
    }
  });

  it('a due refresh is handed to dist/hot-full.cjs, run from its code cache, which loads node:http (the recorder sees it) but neither undici, commander, the ES loader, node:crypto nor perf_hooks', async () => {
    await h.login();
    await sleep(1100);
    const { out, cjs, esmLoader, internal } = await traced(['refresh', '--json'], { env: { HH_DEBUG: '1' } });
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).status).toBe('refreshed');
    // Not required: main.cjs runs it through vm from dist/hot-full.cjs.cache (src/cli/hot/cached-bundle.ts).
    expect(cjs).toEqual(['bin/hh-oauth', 'dist/main.cjs']);
    expect(out.stderr).toContain('hot-full.cjs: code cache used');
    expect(esmLoader).toBe(false);
    // The HTTP engine is minipass-fetch on node:http: loading Node's fetch (undici) cost more than the rest of a due refresh.
    expect(internal).toContain('NativeModule http');
    expect(internal.filter((m) => m.includes('undici'))).toEqual([]);
    // A kept pair's name is a SHA-256 (src/files/sha256.ts), the lock's temp name Math.random, the pace's clock hrtime:
    // node:crypto and perf_hooks each cost this run more start-up than what it used them for.
    expect(internal.filter((m) => /NativeModule (crypto|perf_hooks|internal\/crypto\/|internal\/perf\/(performance|usertiming|event_loop_delay)$)/.test(m))).toEqual([]);
  });

  it('token, piped, prints a valid token from the same single file; an expired one is refreshed through hot-full.cjs', async () => {
    validTokenFile();
    const valid = await traced(['token', '--header'], { secretStdout: true });
    expect(valid.out.code, valid.out.stderr).toBe(0);
    expect(valid.out.stdout).toBe('Authorization: Bearer FAKEACCESSTOKEN0123456789\n');
    expect(valid.cjs).toEqual(['bin/hh-oauth', 'dist/main.cjs']);
    expect(valid.esmLoader).toBe(false);
    expect(heavyInternals(valid.internal)).toEqual([]);

    await h.login();
    await sleep(1100);
    const expired = await traced(['token', '--json'], { secretStdout: true, env: { HH_DEBUG: '1' } });
    expect(expired.out.code, expired.out.stderr).toBe(0);
    expect(Date.parse(jsonOut(expired.out).expires_at)).toBeGreaterThan(Date.now());
    expect(expired.cjs).toEqual(['bin/hh-oauth', 'dist/main.cjs']);
    expect(expired.out.stderr).toContain('hot-full.cjs: code cache used');
    expect(expired.esmLoader).toBe(false);
  });

  it('gives the same answer as commander does for the same command', async () => {
    validTokenFile();
    const fast = await traced(['refresh', '--json'], { esm: true });
    // A trailing `--` means nothing to refresh, but the hot path leaves it to commander.
    const slow = await traced(['refresh', '--json', '--'], { esm: true });
    expect(fast.esm).not.toContain('dist/cli.js');
    expect(slow.esm).toContain('dist/cli.js');
    expect([slow.out.code, slow.out.stderr]).toEqual([fast.out.code, fast.out.stderr]);
    const { seconds_left: a, ...fastDoc } = jsonOut(fast.out);
    const { seconds_left: b, ...slowDoc } = jsonOut(slow.out);
    expect(slowDoc).toEqual(fastDoc);
    expect(Math.abs(a - b)).toBeLessThanOrEqual(5);
  });

  it('reports errors as every command does: exit code, --json document, hint', async () => {
    const human = await h.run(['refresh']);
    expect(human.code).toBe(4);
    expect(human.stderr).toMatch(/^error: no token file at .*\nhint: authorize again/);
    const json = await h.run(['refresh', '--json']);
    expect(json.code).toBe(4);
    expect(jsonOut(json).error).toMatchObject({ code: 'reauthorize', message: expect.stringContaining('no token file') });
  });

  it('colours by chalk\'s rules: only when chalk would (FORCE_COLOR here), never under journald', async () => {
    const plain = await h.run(['refresh']);
    expect(plain.stderr).not.toContain('\u001b[');
    const forced = await h.run(['refresh'], { env: { FORCE_COLOR: '1' } });
    expect(forced.stderr).toContain('\u001b[31merror:\u001b[39m no token file');
    const journal = await h.run(['refresh'], { env: { FORCE_COLOR: '1', JOURNAL_STREAM: '8:123' } });
    expect(journal.stderr).toMatch(/^<3>no token file .*\n<3>hint: authorize again/);
    expect(journal.stderr).not.toContain('\u001b[');
  });

  it('--no-color is the hot path\'s own: refresh and token answer plain without loading chalk, even under FORCE_COLOR', async () => {
    // No token file: an error, which FORCE_COLOR alone would colour (chalk, an ES module, loaded for it).
    const coloured = await runCli(['refresh'], { env: h.env({ FORCE_COLOR: '1' }) });
    expect(coloured.stderr).toContain('\u001b[31merror:');
    for (const args of [['--no-color', 'refresh'], ['token', '--no-color']]) {
      const log = join(h.dir, `loads-no-color-${++traces}.log`);
      const env = h.env({ NODE_OPTIONS: `--require=${PRELOAD.recordLoads}`, HH_TEST_LOAD_LOG: log, FORCE_COLOR: '1' });
      const out = await runCli(args, { env });
      expect(out.code, args.join(' ')).toBe(4);
      expect(out.stderr).toMatch(/^error: no token file/);
      const lines = readFileSync(log, 'utf8').split('\n');
      // No token: main.cjs hands over to hot-full.cjs (run from its code cache, not required; no chalk either).
      expect(lines.filter((l) => l.startsWith('cjs: ')).map((l) => l.slice(5).replace(REPO_ROOT, ''))).toEqual(['bin/hh-oauth', 'dist/main.cjs']);
      expect(lines).not.toContain('internal: NativeModule internal/modules/esm/loader');
    }
    // The same run with colour does load chalk through the ES loader (hot-full.cjs's import, through main.cjs): the check above can fail.
    const log = join(h.dir, `loads-colour-${++traces}.log`);
    await runCli(['refresh'], { env: h.env({ NODE_OPTIONS: `--require=${PRELOAD.recordLoads}`, HH_TEST_LOAD_LOG: log, FORCE_COLOR: '1' }) });
    expect(readFileSync(log, 'utf8').split('\n')).toContain('internal: NativeModule internal/modules/esm/loader');
  });

  it('leaves help and usage errors to commander, which knows the hot command\'s options from the same table', async () => {
    const help = await h.run(['refresh', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: hh-oauth refresh \[options\]/);
    expect(help.stdout).toMatch(/--force\s+ask hh.ru even if the token looks valid/);
    const bad = await h.run(['refresh', '--forse', '--json']);
    expect(bad.code).toBe(2);
    // Commander's "(Did you mean …?)" line is the hint, not a second line of the message.
    expect(jsonOut(bad).error).toEqual({ code: 'usage', message: "unknown option '--forse'", suggestion: 'did you mean --force? (`hh-oauth --help` for usage)' });
  });
});
