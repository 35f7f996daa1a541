import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byName, freePort, jsonOut, revokeAtSandbox, runInTty, runsHere, skipUnless, useHarness, useStandInCallback, writeSiteConf, writeTokenFile } from '../helpers';
import { tmpdir } from 'node:os';

const h = useHarness();
const NAMES = ['configuration', 'user-agent', 'token-file', 'token-permissions', 'token-accepted', 'timers', 'nginx', 'callback', 'clock'];
const nginx = !skipUnless(runsHere('nginx', ['-v']), 'nginx is not installed here: its doctor tests are skipped (CI installs it and runs them)');
const callback = useStandInCallback();

type Check = { name: string; status: string; ok: boolean; message: string; fix: string | null; code: string | null };
/** doctor --json's checks, keyed by name. */
const checksOf = (doc: { checks: Check[] }) => byName(doc.checks);

/**
 * A valid token in this test's workspace: one real login per file, then copies of
 * that file (the sandbox keeps the pair alive), which saves two CLI runs per test.
 * Tests that spend or revoke the pair log in for themselves.
 */
let seeded: string | undefined;
async function withToken(): Promise<void> {
  if (!seeded) {
    await h.login();
    seeded = readFileSync(h.tokenFile, 'utf8');
    return;
  }
  writeTokenFile(h.tokenFile, seeded);
}

/** doctor with what this machine can honestly pass: timers skipped on request, nginx checked on a temp file. */
async function runDoctor(extra: string[] = [], env: Record<string, string | undefined> = {}) {
  const out = await h.run(['doctor', '--json', '--skip-systemd', '--skip-nginx', ...extra], { env: { HH_REDIRECT_URI: callback.url, ...env } });
  return { out, doc: jsonOut(out), checks: checksOf(jsonOut(out)) };
}

describe('hh-oauth doctor against the sandbox', () => {
  it.runIf(nginx)('passes every check on a good setup (timers skipped on request, with the reason), exit 0', async () => {
    await withToken();
    const site = writeSiteConf(h.dir);
    const hitsBefore = callback.hits();
    const run = await h.run(['doctor', '--json', '--skip-systemd', '--nginx-conf', site], { env: { HH_REDIRECT_URI: callback.url } });
    expect(run.code, run.stdout).toBe(0);
    const doc = jsonOut(run);
    expect(doc.ok).toBe(true);
    expect(doc.checks.map((c: Check) => c.name)).toEqual(NAMES);
    for (const c of doc.checks as Check[]) {
      expect(Object.keys(c)).toEqual(['name', 'status', 'ok', 'message', 'fix', 'code']);
      expect(c.status, `${c.name}: ${c.message}`).toBe(c.name === 'timers' ? 'skip' : 'pass');
    }
    const checks = checksOf(doc);
    expect(checks.timers!.message).toBe('skipped (--skip-systemd)');
    expect(checks['token-accepted']!.message).toContain('Ivan Petrov <ivan.petrov@example.com> (employer'); // doctor's own line (whoami's adds the employer)
    expect(checks['token-permissions']!.message).toMatch(/^mode 0600, owner \S+, directory 0700$/);
    expect(checks.nginx!.message).toContain('nginx -t passes (tested on its own');
    expect(checks.callback!.message).toContain('answers HTTP 200');
    expect(callback.hits()).toBe(hitsBefore + 1);
    expect(checks.clock!.message).toMatch(/(in step with|\d+ s (ahead of|behind)) the Date of 127\.0\.0\.1:\d+'s answer/);
    expect(checks.configuration!.message).toContain('HH_AUTHORIZE_URL, HH_TOKEN_URL, HH_API_URL at 127.0.0.1');

    const human = await h.run(['doctor', '--skip-systemd', '--nginx-conf', site], { env: { HH_REDIRECT_URI: callback.url } });
    expect(human.code).toBe(0);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^✓ configuration {6}client id /);
    expect(lines).toContain('– timers             skipped (--skip-systemd)');
    expect(lines.at(-1)).toBe('checks: 8 ok, 0 failing, 1 skipped');
    expect(human.stdout).not.toContain('fix:');
  });

  it('colours its marks by output.ts\'s rules: FORCE_COLOR or a terminal colours them; the journal and NO_COLOR do not', async () => {
    await withToken();
    const args = ['doctor', '--skip-systemd', '--skip-nginx'];
    const env = { HH_REDIRECT_URI: callback.url };
    const ANSI = /\u001b\[/;
    const forced = await h.run(args, { env: { ...env, FORCE_COLOR: '1' } });
    expect(forced.stdout).toContain('\u001b[32m✓\u001b[39m configuration');
    expect(forced.stdout).toContain('\u001b[2m–\u001b[22m timers');
    const journal = await h.run(args, { env: { ...env, FORCE_COLOR: '1', JOURNAL_STREAM: '8:123' } });
    expect(journal.stdout).toContain('✓ configuration');
    expect(journal.stdout).not.toMatch(ANSI);
    // On a real terminal (chalk colours there by itself), NO_COLOR is what turns it off.
    const terminal = await runInTty(args, h.env({ ...env, TERM: 'xterm' }));
    expect(terminal.stdout).toContain('\u001b[32m✓\u001b[39m configuration');
    const noColour = await runInTty(args, h.env({ ...env, TERM: 'xterm', NO_COLOR: '1' }));
    expect(noColour.stdout).toContain('✓ configuration');
    expect(noColour.stdout).not.toMatch(ANSI);
  });

  it('a corrupt token file is ✗ token-file (exit 7), /me is not asked, and the file is left exactly as it was', async () => {
    await withToken();
    const damaged = readFileSync(h.tokenFile, 'utf8').slice(0, 40);
    writeFileSync(h.tokenFile, damaged);
    const meCalls = h.sandbox.stats().meCalls;
    const { out, doc, checks } = await runDoctor();
    expect(out.code).toBe(7);
    expect(doc.ok).toBe(false);
    expect(checks['token-file']).toMatchObject({ status: 'fail', ok: false, code: 'store' });
    expect(checks['token-file']!.message).toContain('is corrupt: it is not valid JSON');
    expect(checks['token-file']!.fix).toContain('authorize again');
    expect(checks['token-accepted']).toMatchObject({ status: 'skip', ok: true });
    expect(h.sandbox.stats().meCalls).toBe(meCalls + 1); // only the clock's anonymous request
    expect(checks.clock!.status).toBe('pass');
    expect(readFileSync(h.tokenFile, 'utf8')).toBe(damaged);

    const human = await h.run(['doctor', '--skip-systemd', '--skip-nginx'], { env: { HH_REDIRECT_URI: callback.url } });
    expect(human.stdout).toMatch(/^✗ token-file {9}.*is corrupt/m);
    expect(human.stdout).toMatch(/^ {21}fix: restore it from a backup/m);
  });

  it('no token file is ✗ with exit 4 (authorize again)', async () => {
    const { out, checks } = await runDoctor();
    expect(out.code).toBe(4);
    expect(checks['token-file']).toMatchObject({ status: 'fail', code: 'reauthorize', message: `no token file at ${h.tokenFile}` });
    expect(checks['token-permissions']!.status).toBe('skip');
  });

  it('a token readable by others is ✗ token-permissions (exit 7) and doctor does not change the mode itself', async () => {
    await withToken();
    chmodSync(h.tokenFile, 0o644);
    const { out, checks } = await runDoctor();
    expect(out.code).toBe(7);
    expect(checks['token-permissions']).toMatchObject({ status: 'fail', code: 'store' });
    expect(checks['token-permissions']!.message).toContain('has mode 0644 (want 0600, or 0640 for a reader group)');
    // 0640, not 0600: the group could read it before, and may be the bot's (as token/read.ts tightens it)
    expect(checks['token-permissions']!.fix).toBe(`chmod 0640 ${h.tokenFile}`);
    expect(checks['token-accepted']!.status).toBe('pass');
    expect(statSync(h.tokenFile).mode & 0o777).toBe(0o644);
  });

  it('a token hh.ru has revoked is ✗ token-accepted with exit 4', async () => {
    await h.login();
    const { access_token } = JSON.parse(readFileSync(h.tokenFile, 'utf8'));
    await revokeAtSandbox(h, access_token);
    const { out, checks } = await runDoctor();
    expect(out.code).toBe(4);
    expect(checks['token-accepted']).toMatchObject({ status: 'fail', code: 'reauthorize' });
    expect(checks['token-accepted']!.message).toContain('revoked');
  });

  it('incomplete settings: ✗ configuration and ✗ user-agent with fixes, /me not asked, exit 3', async () => {
    await withToken();
    const { out, checks } = await runDoctor([], { HH_CLIENT_SECRET: undefined, HH_USER_AGENT: 'curl/8.0' });
    expect(out.code).toBe(3);
    expect(checks.configuration).toMatchObject({ status: 'fail', code: 'config' });
    expect(checks.configuration!.message).toContain('the client secret is not set');
    // Root's fixes point at the system settings file, which the service reads too; anyone else's at `config set`.
    if (process.getuid?.() === 0) expect(checks.configuration!.fix).toMatch(/add HH_CLIENT_SECRET_FILE=\/etc\/hh-oauth\/client-secret to \S+system\.env/);
    else expect(checks.configuration!.fix).toContain('hh-oauth config set client-secret < secret.txt');
    expect(checks['user-agent']).toMatchObject({ status: 'fail', code: 'config' });
    expect(checks['user-agent']!.message).toContain('"curl/8.0" (env) has no contact');
    expect(checks['token-accepted']!.status).toBe('skip');
  });

  it('an unreachable or unforwarded callback URL is ✗ callback naming the cause', async () => {
    await withToken();
    const port = await freePort();
    const { out, checks } = await runDoctor([], { HH_REDIRECT_URI: `http://127.0.0.1:${port}/callback` });
    expect(out.code).toBe(3);
    expect(checks.callback).toMatchObject({ status: 'fail', code: 'config' });
    expect(checks.callback!.message).toContain(`is not reachable from here: nothing listens at http://127.0.0.1:${port} (connection refused)`);
    expect(checks.callback!.fix).toContain('sudo systemctl start nginx');

    // Something answers, but not for this path: the proxy does not forward it.
    const notForwarded = await runDoctor([], { HH_REDIRECT_URI: `${h.sandbox.url}/callback` });
    expect(notForwarded.checks.callback).toMatchObject({ status: 'fail', code: 'config' });
    expect(notForwarded.checks.callback!.message).toContain('answers HTTP 404');
  });

  it('timers: without --skip-systemd the check runs systemctl for real and fails honestly here (no units installed)', async () => {
    await withToken();
    const out = await h.run(['doctor', '--json', '--skip-nginx'], { env: { HH_REDIRECT_URI: callback.url } });
    const timers = checksOf(jsonOut(out)).timers!;
    expect(out.code).toBe(3);
    expect(timers).toMatchObject({ status: 'fail', code: 'config' });
    // Whichever this machine is: no systemctl, or systemctl without these units.
    expect(timers.message).toMatch(/systemctl is not installed|hh-oauth-refresh\.timer and hh-oauth-expiry\.timer are not installed|systemd is not running/);

    const emptyPath = join(h.dir, 'empty-path');
    mkdirSync(emptyPath);
    const noSystemctl = await h.run(['doctor', '--json', '--skip-nginx'], { env: { HH_REDIRECT_URI: callback.url, PATH: emptyPath } });
    const missing = checksOf(jsonOut(noSystemctl)).timers!;
    expect(missing).toMatchObject({ status: 'fail', message: 'systemctl is not installed, so the timers cannot be checked (is this a systemd host?)' });
    expect(missing.fix).toContain('--skip-systemd');
  });

  it.runIf(nginx)('nginx: a broken file is ✗ with nginx\'s own complaint; a missing one says how to create it', async () => {
    await withToken();
    const broken = writeSiteConf(h.dir, '  proxy_passs http://127.0.0.1:8400;');
    const bad = await h.run(['doctor', '--json', '--skip-systemd', '--nginx-conf', broken], { env: { HH_REDIRECT_URI: callback.url } });
    expect(bad.code).toBe(3);
    const check = checksOf(jsonOut(bad)).nginx!;
    expect(check).toMatchObject({ status: 'fail', code: 'config' });
    expect(check.message).toBe(`nginx -t fails: [emerg] unknown directive "proxy_passs" in ${broken}:12`);

    const gone = await h.run(['doctor', '--json', '--skip-systemd', '--nginx-conf', join(h.dir, 'nope.conf')], { env: { HH_REDIRECT_URI: callback.url } });
    const missing = checksOf(jsonOut(gone)).nginx!;
    expect(missing.message).toBe(`${join(h.dir, 'nope.conf')} does not exist`);
    expect(missing.fix).toContain('install-units');
  });
});
