import { mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderAll } from '../../src/install/plan';
import { bareEnv, BIN, findTool, runCli, runProgram, skipUnless, useTempDirs } from '../helpers';

/**
 * The rendered units judged by systemd's own tools: verify (syntax, ExecStart exists),
 * security --offline (the exposure figure, which must stay at 1.2 or lower) and calendar.
 */
const ANALYZE = findTool('systemd-analyze');
const skip = skipUnless(ANALYZE !== undefined, 'systemd-analyze is not installed (apt-get install systemd)');
const analyze = (args: string[], cwd: string) => runProgram(ANALYZE ?? 'systemd-analyze', args, { cwd, env: { ...process.env, SYSTEMD_COLORS: '0', LC_ALL: 'C' } });

/** "→ Overall exposure level for hh-oauth-refresh.service: 1.1 OK 🙂" → 1.1 */
function exposure(output: string): number {
  const m = /Overall exposure level for \S+: (\d+\.\d+) /.exec(output);
  if (!m) throw new Error(`no exposure figure in:\n${output}`);
  return Number(m[1]);
}

const tempDir = useTempDirs('hh-analyze-');
let dir: string;
const variants: Record<string, string> = {};

beforeAll(async () => {
  dir = tempDir();
  const env = bareEnv(dir);
  // A node path with a space and a %, which must come out quoted and escaped.
  const oddNode = join(dir, 'my node 100%', 'node');
  mkdirSync(join(dir, 'my node 100%'));
  symlinkSync(process.execPath, oddNode);
  mkdirSync(join(dir, 'etc hh'));
  writeFileSync(join(dir, 'etc hh', 'secret 100%'), 'not-a-real-secret\n', { mode: 0o600 });
  writeFileSync(join(dir, 'etc hh', 'hh-oauth.env'), 'HH_USER_AGENT="bot/1.0 (ops@example.com)"\n');

  const cases: Record<string, string[]> = {
    defaults: [],
    'all profiles, plus template units per profile': ['--all-profiles', '--per-profile'],
    // ExecStopPost= and ReadWritePaths= with a path that must come out quoted and escaped.
    'metrics dir with a space and a %': ['--metrics-dir', join(dir, 'node exporter 100%'), '--per-profile'],
    'token group, credential, env file, odd node path': [
      '--token-group', 'nogroup',
      '--client-secret-file', join(dir, 'etc hh', 'secret 100%'),
      '--node', oddNode,
      '--on-calendar', 'Mon..Fri 09:30', '--on-calendar', '*-*-* 17:00:00 UTC',
      '--on-refresh', "sh -c 'systemctl try-restart my-bot.service; echo 100%'",
    ],
  };
  for (const [name, args] of Object.entries(cases)) {
    const root = join(dir, name.replace(/\W+/g, '-'));
    const global = name === 'defaults' ? [] : ['--env-file', join(dir, 'etc hh', 'hh-oauth.env')];
    const out = await runCli([...global, 'install-units', '--root', root, '--no-nginx', ...args], { env });
    if (out.code !== 0) throw new Error(`install-units failed: ${out.stderr}`);
    variants[name] = join(root, 'etc/systemd/system');
  }
  // The package in a home directory (ProtectHome=tmpfs + BindReadOnlyPaths=), rendered directly:
  // the CLI always renders its own location.
  const home = join(dir, 'home-variant');
  mkdirSync(home);
  const { files } = renderAll({
    node: process.execPath,
    bin: '/home/ops/hh-oauth/bin/hh-oauth',
    user: 'hh-oauth',
    onCalendar: ['*-*-* 17:00:00'],
    expiry: { span: '10min' },
  });
  for (const f of files) writeFileSync(join(home, f.name), f.content);
  variants['package under /home'] = home;
});

describe.skipIf(skip)('systemd-analyze on the rendered units', () => {
  it('verify: every variant passes with no warning at all', async () => {
    for (const [name, unitDir] of Object.entries(variants)) {
      const out = analyze(['verify', './hh-oauth-refresh.service', './hh-oauth-refresh.timer', './hh-oauth-expiry.timer'], unitDir);
      expect({ name, ...out }).toEqual({ name, code: 0, stdout: '', stderr: '' });
    }
  });

  it('verify and security: the per-profile template units, instantiated for a profile, pass too (≤ 1.2)', async () => {
    const unitDir = variants['all profiles, plus template units per profile']!;
    const out = analyze(['verify', './hh-oauth-refresh@acme.service', './hh-oauth-refresh@acme.timer', './hh-oauth-expiry@acme.timer'], unitDir);
    expect(out).toEqual({ code: 0, stdout: '', stderr: '' });
    const security = analyze(['security', '--offline=true', './hh-oauth-refresh@acme.service'], unitDir);
    expect(exposure(security.stdout + security.stderr)).toBeLessThanOrEqual(1.2);
    expect(readFileSync(join(unitDir, 'hh-oauth-refresh@.service'), 'utf8')).toContain(' --profile %i refresh\n');
    expect(readFileSync(join(unitDir, 'hh-oauth-refresh.service'), 'utf8')).toContain(' refresh --all\n');
    expect(readFileSync(join(unitDir, 'hh-oauth-expiry@.timer'), 'utf8')).toContain('\nUnit=hh-oauth-refresh@%i.service\n');
  });

  it('verify really checks: a unit whose ExecStart binary is missing fails', async () => {
    const unitDir = variants.defaults!;
    const broken = readFileSync(join(unitDir, 'hh-oauth-refresh.service'), 'utf8').replace(`ExecStart=${process.execPath}`, 'ExecStart=/nonexistent-node');
    writeFileSync(join(dir, 'broken.service'), broken);
    const out = analyze(['verify', './broken.service'], dir);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain('/nonexistent-node');
  });

  it('the odd paths come out quoted and %-escaped, as systemd reads them back', () => {
    const text = readFileSync(join(variants['token group, credential, env file, odd node path']!, 'hh-oauth-refresh.service'), 'utf8');
    expect(text).toContain(`ExecStart="${join(dir, 'my node 100%%', 'node')}" ${realpathSync(BIN)} refresh\n`);
    expect(text).toContain(`LoadCredential=hh-client-secret:${join(dir, 'etc hh', 'secret 100%%')}\n`);
    expect(text).toContain(`EnvironmentFile=${join(dir, 'etc hh', 'hh-oauth.env')}\n`);
  });

  it('security --offline=true: the service rates 1.2 or lower in every variant (the old root unit: 9.6)', async () => {
    const figures: Record<string, number> = {};
    for (const [name, unitDir] of Object.entries(variants)) {
      const out = analyze(['security', '--offline=true', './hh-oauth-refresh.service'], unitDir);
      figures[name] = exposure(out.stdout);
    }
    console.log(`systemd-analyze security --offline=true exposure: ${JSON.stringify(figures)}`);
    for (const figure of Object.values(figures)) expect(figure).toBeLessThanOrEqual(1.2);

    // The parser is not fooled: a root unit without hardening rates far higher.
    writeFileSync(join(dir, 'old.service'), `[Service]\nType=oneshot\nExecStart=${process.execPath} -e 0\n`);
    expect(exposure((analyze(['security', '--offline=true', './old.service'], dir)).stdout)).toBeGreaterThan(9);
  });

  it('calendar: systemd accepts every OnCalendar= of the rendered timers', async () => {
    for (const unitDir of Object.values(variants)) {
      const specs = [...readFileSync(join(unitDir, 'hh-oauth-refresh.timer'), 'utf8').matchAll(/^OnCalendar=(.*)$/gm)].map((m) => m[1]!);
      expect(specs.length).toBeGreaterThan(0);
      const out = analyze(['calendar', ...specs], unitDir);
      expect(out.code, out.stderr).toBe(0);
    }
  });

  it('calendar: a spec systemd refuses is a usage error naming --on-calendar', async () => {
    const out = await runCli(['install-units', '--dry-run', '--no-nginx', '--on-calendar', '25:00'], { env: bareEnv(dir) });
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--on-calendar "25:00" is refused by systemd-analyze calendar');
  });
});
