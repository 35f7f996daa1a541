import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bareEnv, isRoot, jsonOut, REPO_ROOT, runCli, skipUnless, useTempDirs } from '../helpers';

/**
 * The standalone binary (npm run package → build/hh-oauth) with every Node on this machine
 * out of its reach: each run is in a mount namespace where /usr/bin/node and
 * /usr/local/bin/node are /dev/null and PATH has no node. (The e2e suites themselves run
 * against it with E2E_BINARY=build/hh-oauth, .ci/run; docs/packaging.md.)
 */
const BINARY = join(REPO_ROOT, 'build', 'hh-oauth');
const workspace = useTempDirs('hh-binary-');
const HIDE_NODE = [
  'unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c',
  'for n in /usr/bin/node /usr/local/bin/node; do [ -e "$n" ] && mount --bind /dev/null "$n"; done; exec "$@"', 'sh',
];
const canHide = isRoot && spawnSync('unshare', ['--mount', '--', 'true']).status === 0;
const skip = skipUnless(existsSync(BINARY) && canHide, existsSync(BINARY) ? 'needs root and unshare --mount to hide node' : 'build/hh-oauth is missing: run `npm run package`');

const run = (dir: string, args: string[]) =>
  runCli(args, { env: bareEnv(dir, { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HH_TOKEN_FILE: join(dir, 'none', 'token.json') }), wrap: HIDE_NODE, binary: BINARY });

describe.skipIf(skip)('the standalone binary, with no Node it could reach', () => {
  it('node is really out of reach in the wrapper (so the cases below prove something)', async () => {
    const out = spawnSync(HIDE_NODE[0]!, [...HIDE_NODE.slice(1), 'sh', '-c', 'node -e 0'], { encoding: 'utf8' });
    expect(out.status).not.toBe(0);
  });

  it('--version, --help and a cold command (status) answer as the npm build does', async () => {
    const dir = workspace();
    const version = await run(dir, ['--version']);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
    const help = await run(dir, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: hh-oauth');
    const status = await run(dir, ['status', '--json']);
    expect(status.code).toBe(4);
    expect(jsonOut(status).state).toBe('missing');
  });

  it('install-units renders units that run the binary itself, from its embedded templates; --node is refused', async () => {
    const dir = workspace();
    const fromBinary = await run(dir, ['install-units', '--dry-run', '--server-name', 'bot.example.com', '--per-profile']);
    expect(fromBinary.code, fromBinary.stderr).toBe(0);
    expect(fromBinary.stdout).toContain(`\nExecStart=${BINARY} refresh\n`);
    expect(fromBinary.stdout).toContain(`\nExecStart=${BINARY} --profile %i refresh\n`);
    expect(fromBinary.stdout).not.toMatch(/BindReadOnlyPaths=|\bnode\b/);
    // The same files as the npm build renders from systemd/ and nginx/, but for the command.
    const fromNpm = await runCli(['install-units', '--dry-run', '--server-name', 'bot.example.com', '--per-profile'], { env: bareEnv(dir) });
    expect(fromNpm.code, fromNpm.stderr).toBe(0);
    // (and for each file's checksum, which covers the command).
    const sameButCommand = (text: string) =>
      text
        .replace(/^ExecStart=\S+( \S+bin\/hh-oauth)? /gm, 'ExecStart=HH ')
        .replace(/checksum: sha256:\w+/g, 'checksum')
        .replace(/^(ProtectHome=.*|BindReadOnlyPaths=.*)\n/gm, '');
    expect(sameButCommand(fromBinary.stdout)).toBe(sameButCommand(fromNpm.stdout));

    const node = await run(dir, ['install-units', '--dry-run', '--no-nginx', '--node', '/usr/bin/node']);
    expect(node.code).toBe(2);
    expect(node.stderr).toMatch(/^error: --node does not apply to the standalone binary/);
  });
});
