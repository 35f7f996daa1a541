import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bareEnv, Container, containerSupport, fakePair, hoursFromNow, parseMetrics, runCli, UNIT_COMMAND, skipUnless, useHarness, useTempDirs, writeTokenFile } from '../helpers';

/**
 * `status --format prometheus` (node_exporter's textfile collector) and `install-units
 * --metrics-dir`, whose service writes that file after every run: the text read by a real
 * Prometheus parser, the file replaced atomically, the unit's lines, and the unit's own
 * commands run as the service would run them.
 */
const h = useHarness();
const temp = useTempDirs('hh-metrics-');

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

function storeProfiles() {
  const valid = fakePair(hoursFromNow(24));
  const expired = fakePair(hoursFromNow(-1));
  writeTokenFile(h.tokenFile, valid);
  writeTokenFile(h.profileFile('acme'), expired);
  writeTokenFile(h.profileFile('broken'), '{"access_token": "trunc');
  return { valid, expired };
}

describe('status --format prometheus', () => {
  it('prints every profile\'s expiry, last refresh (obtained_at) and state, parsed by a Prometheus parser; exit 0 whatever the states', async () => {
    const { valid, expired } = storeProfiles();
    const out = await h.run(['status', '--format', 'prometheus']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toBe('');
    const families = parseMetrics(out.stdout);
    expect(Object.keys(families).sort()).toEqual(['hh_oauth_last_refresh_timestamp_seconds', 'hh_oauth_token_expiry_timestamp_seconds', 'hh_oauth_token_state']);
    expect(families.hh_oauth_token_expiry_timestamp_seconds).toEqual({
      type: 'gauge',
      samples: [
        { labels: { profile: 'default' }, value: seconds(valid.expires_at as string) },
        { labels: { profile: 'acme' }, value: seconds(expired.expires_at as string) },
      ],
    });
    expect(families.hh_oauth_last_refresh_timestamp_seconds!.samples).toContainEqual({ labels: { profile: 'acme' }, value: seconds(expired.obtained_at as string) });
    expect(new Set(families.hh_oauth_token_state!.samples.map((s) => JSON.stringify(s)))).toEqual(
      new Set([
        { labels: { profile: 'default', state: 'valid' }, value: 1 },
        { labels: { profile: 'acme', state: 'expired-refreshable' }, value: 1 },
        { labels: { profile: 'broken', state: 'corrupt' }, value: 1 },
      ].map((s) => JSON.stringify(s))),
    );
    // Figures only: no token, no path.
    expect(out.stdout).not.toContain(valid.access_token as string);
    expect(out.stdout).not.toContain(h.dir);
  });

  it('--metrics-dir writes DIR/hh-oauth.prom atomically (mode 0644, no temp file left), replacing the old one', async () => {
    storeProfiles();
    const dir = temp();
    const first = await h.run(['status', '--format', 'prometheus', '--metrics-dir', dir]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe('');
    const file = join(dir, 'hh-oauth.prom');
    expect(statSync(file).mode & 0o777).toBe(0o644);
    const inode = statSync(file).ino;
    writeTokenFile(h.profileFile('later'), fakePair(hoursFromNow(2)));
    const second = await h.run(['status', '--format', 'prometheus', '--metrics-dir', dir]);
    expect(second.code, second.stderr).toBe(0);
    expect(statSync(file).ino).not.toBe(inode); // renamed over, not rewritten in place
    expect(readdirSync(dir)).toEqual(['hh-oauth.prom']);
    expect(parseMetrics(readFileSync(file, 'utf8')).hh_oauth_token_state!.samples.map((s) => s.labels.profile)).toContain('later');
  });

  it.each([
    [['status', '--metrics-dir', '/tmp'], 2, '--metrics-dir only applies to --format prometheus'],
    [['status', '--format', 'prometheus', '--metrics-dir', 'relative/dir'], 2, '--metrics-dir must be an absolute path'],
    [['--json', 'status', '--format', 'prometheus'], 2, 'drop --json'],
    [['status', '--format', 'openmetrics'], 2, 'openmetrics'],
    [['status', '--format', 'prometheus', '--metrics-dir', '/nonexistent/hh-oauth-metrics'], 7, 'cannot write the metrics file in /nonexistent/hh-oauth-metrics (ENOENT)'],
  ])('%j: exit %i', async (args, code, message) => {
    const out = await h.run(args);
    expect(out.code, out.stderr).toBe(code);
    expect(out.stderr).toContain(message);
  });
});

describe('install-units --metrics-dir', () => {
  const install = (dir: string, args: string[]) => runCli(['install-units', '--no-nginx', '--root', join(dir, 'root'), ...args], { env: bareEnv(dir) });
  const serviceOf = (dir: string) => readFileSync(join(dir, 'root/etc/systemd/system/hh-oauth-refresh.service'), 'utf8');

  it('adds ExecStopPost= (status --format prometheus --metrics-dir DIR) and ReadWritePaths=-DIR to the service, the per-profile one too', async () => {
    const dir = temp();
    const out = await install(dir, ['--metrics-dir', '/var/lib/prometheus/node-exporter', '--per-profile']);
    expect(out.code, out.stderr).toBe(0);
    for (const unit of ['hh-oauth-refresh.service', 'hh-oauth-refresh@.service']) {
      const text = readFileSync(join(dir, 'root/etc/systemd/system', unit), 'utf8');
      expect(text, unit).toContain(`\nExecStopPost=-${UNIT_COMMAND} status --format prometheus --metrics-dir /var/lib/prometheus/node-exporter\n`);
      expect(text, unit).toContain('\nReadWritePaths=-/var/lib/prometheus/node-exporter\n');
    }
    // Without the option, neither line.
    const plain = temp();
    expect((await install(plain, [])).code).toBe(0);
    expect(serviceOf(plain)).not.toMatch(/ExecStopPost=|ReadWritePaths=/);
  });

  it.each([
    ['relative/dir', 'must be an absolute path'],
    ['/var/lib/prom"etheus', 'must be a plain absolute path; it contains """'],
    ['/var/lib/a\nb', 'must be a plain absolute path; it contains a newline'],
    ['/var/lib/../etc', 'must be a normalized path'],
  ])('refuses --metrics-dir %j (exit 2), writing nothing', async (value, reason) => {
    const dir = temp();
    const out = await install(dir, ['--metrics-dir', value]);
    expect(out.code, out.stderr).toBe(2);
    expect(out.stderr).toContain(`--metrics-dir ${reason}`);
    expect(existsSync(join(dir, 'root'))).toBe(false);
  });

  it('warns when DIR is where the service cannot write for others to see (/tmp: PrivateTmp=)', async () => {
    const out = await install(temp(), ['--metrics-dir', '/tmp/metrics']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toContain('--metrics-dir /tmp/metrics is under /tmp or /var/tmp');
  });

  it('the rendered service\'s own commands, run in order as systemd would (ExecStart=, then ExecStopPost=), leave DIR/hh-oauth.prom', async () => {
    const dir = temp();
    const metrics = join(dir, 'textfile');
    mkdirSync(metrics);
    expect((await install(dir, ['--metrics-dir', metrics])).code).toBe(0);
    const unit = serviceOf(dir);
    const commands = ['ExecStart', 'ExecStopPost'].map((key) => {
      const line = unit.split('\n').find((l) => l.startsWith(`${key}=`))!;
      const words = line.slice(key.length + 1).replace(/^-/, '').split(' ');
      const prefix = UNIT_COMMAND.split(' ').length;
      expect(words.slice(0, prefix).join(' ')).toBe(UNIT_COMMAND);
      return words.slice(prefix);
    });
    expect(commands).toEqual([['refresh'], ['status', '--format', 'prometheus', '--metrics-dir', metrics]]);
    // The service's environment: its state directory holds the token.
    const state = join(dir, 'state');
    writeTokenFile(join(state, 'token.json'), fakePair(hoursFromNow(5)));
    for (const args of commands) {
      const out = await runCli(args, { env: bareEnv(dir, { STATE_DIRECTORY: state, JOURNAL_STREAM: '8:1' }) });
      expect(out.code, `${args.join(' ')}: ${out.stderr}`).toBe(0);
    }
    const families = parseMetrics(readFileSync(join(metrics, 'hh-oauth.prom'), 'utf8'));
    expect(families.hh_oauth_token_state!.samples).toEqual([{ labels: { profile: 'default', state: 'valid' }, value: 1 }]);
  });
});

const support = containerSupport();
describe.skipIf(skipUnless(support.ok, support.reason))('install-units --metrics-dir under a real systemd', () => {
  const c = new Container();
  beforeAll(() => c.boot(), 120_000);
  afterAll(() => c.teardown(), 60_000);

  it('a DIR that does not exist (not yet made, or node_exporter removed) never stops the refresh itself (no 226/NAMESPACE)', async () => {
    const dir = temp();
    const out = await runCli(['install-units', '--no-nginx', '--root', join(dir, 'root'), '--metrics-dir', '/var/lib/no-such-textfile-dir'], { env: bareEnv(dir) });
    expect(out.code, out.stderr).toBe(0);
    const unit = readFileSync(join(dir, 'root/etc/systemd/system/hh-oauth-refresh.service'), 'utf8');
    const line = unit.split('\n').find((l) => l.startsWith('ReadWritePaths='))!;
    expect(line).toBeDefined();
    // The unit's own sandbox line, for a stand-in of ExecStart= (the refresh) under systemd.
    const ran = await c.sh(`systemd-run --wait --collect -p ProtectSystem=strict -p '${line}' /bin/true`);
    expect(ran.code, `${line}\n${ran.stdout}${ran.stderr}`).toBe(0);
  }, 60_000);

  it('a metrics write that fails (DIR missing or not writable: exit 7) leaves the refresh unit succeeded, not failed and restarted every RestartSec=', async () => {
    const dir = temp();
    const out = await runCli(['install-units', '--no-nginx', '--root', join(dir, 'root'), '--metrics-dir', '/var/lib/no-such-textfile-dir'], { env: bareEnv(dir) });
    expect(out.code, out.stderr).toBe(0);
    const unit = readFileSync(join(dir, 'root/etc/systemd/system/hh-oauth-refresh.service'), 'utf8');
    const line = unit.split('\n').find((l) => l.startsWith('ExecStopPost='))!;
    // The line's prefix (systemd's "-": a failure is ignored) before a stand-in for the command, which exits 7.
    const prefix = line.slice('ExecStopPost='.length, line.indexOf(UNIT_COMMAND));
    const ran = await c.sh(`systemd-run --wait -u hh-metrics-probe -p Type=oneshot -p Restart=on-failure -p RestartSec=1 -p 'RestartPreventExitStatus=1 2 3 4 5 7' -p 'ExecStopPost=${prefix}/bin/sh -c "exit 7"' /bin/true || true; systemctl show hh-metrics-probe -p Result -p NRestarts`);
    expect(ran.stdout, `${line}\n${ran.stderr}`).toContain('Result=success');
    expect(ran.stdout).toContain('NRestarts=0');
  }, 60_000);
});
