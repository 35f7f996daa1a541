import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, fakePair, findTool, hoursFromNow, runCli, bareEnv, skipUnless, TEST_BINARY, useTempDirs, writeTokenFile } from '../helpers';

/**
 * `hh-oauth completion bash|zsh` loaded into a real shell: bash's own `complete -p` and
 * the completion function it registered, called as bash calls it on TAB (COMP_WORDS,
 * COMP_CWORD → COMPREPLY); zsh parses its script and runs the shared candidates function.
 * `hh-oauth` on the shell's PATH is a shim running the CLI under test, with two profiles.
 */
const workspace = useTempDirs('hh-completion-');

function setUp(): { dir: string; env: Record<string, string> } {
  const dir = workspace();
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const start = TEST_BINARY ? `exec ${TEST_BINARY} "$@"` : `exec ${process.execPath} ${BIN} "$@"`;
  writeFileSync(join(bin, 'hh-oauth'), `#!/bin/sh\n${start}\n`);
  chmodSync(join(bin, 'hh-oauth'), 0o755);
  const tokens = join(dir, 'tokens');
  writeTokenFile(join(tokens, 'token.json'), fakePair(hoursFromNow(5)));
  writeTokenFile(join(tokens, 'profiles', 'acme.json'), fakePair(hoursFromNow(5)));
  writeTokenFile(join(tokens, 'profiles', 'beta.json'), fakePair(hoursFromNow(5)));
  return { dir, env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir, HH_CONFIG_DIR: join(dir, 'config'), HH_TOKEN_FILE: join(tokens, 'token.json') } };
}

/** Each case: the words typed so far, the last being the one under the cursor. */
function bashComplete(script: string, env: Record<string, string>, cases: string[][]): string[] {
  const lines = [
    script,
    'complete -p hh-oauth',
    't() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=(); _hh_oauth; echo "${COMPREPLY[*]}"; }',
    ...cases.map((words) => `t ${words.map((w) => `'${w}'`).join(' ')}`),
  ];
  const out = spawnSync('bash', ['--norc', '--noprofile', '-c', lines.join('\n')], { env, encoding: 'utf8' });
  expect(out.status, out.stderr).toBe(0);
  expect(out.stderr).toBe('');
  return out.stdout.split('\n').slice(0, cases.length + 1);
}

describe('shell completion', () => {
  it('bash: commands, subcommands, options, choices, setting keys for config set, profile names for --profile', async () => {
    const { dir, env } = setUp();
    const script = await runCli(['completion', 'bash'], { env: bareEnv(dir) });
    expect(script.code, script.stderr).toBe(0);
    const [registered, ...answers] = bashComplete(script.stdout, env, [
      ['hh-oauth', 'un'],
      ['hh-oauth', 'config', ''],
      ['hh-oauth', 'config', 'set', 'http-'],
      ['hh-oauth', '--profile', 'acme', 'config', 'set', 'on-'],
      ['hh-oauth', 'config', 'set', 'http-timeout', ''],
      ['hh-oauth', 'install-units', '--no-'],
      ['hh-oauth', 'sandbox', '--persona', 'employer_'],
      ['hh-oauth', '--profile', ''],
      ['hh-oauth', 'refresh', '--profile', 'a'],
      ['hh-oauth', 'profiles', 'set', ''],
      ['hh-oauth', 'completion', ''],
    ]);
    expect(registered).toBe('complete -F _hh_oauth hh-oauth');
    expect(answers).toEqual([
      'uninstall-units',
      'set get unset list',
      'http-timeout http-retries',
      'on-refresh on-refresh-timeout',
      '',
      '--no-nginx --no-enable --no-color',
      'employer_integration',
      'default acme beta',
      'acme',
      'manager-account',
      'bash zsh',
    ]);
  });

  it('zsh: the script parses, registers with compdef, and its candidates match bash\'s', async (ctx) => {
    if (skipUnless(findTool('zsh') !== undefined, 'zsh is not installed (apt-get install zsh; .ci/run does)')) return ctx.skip();
    const { dir, env } = setUp();
    const script = await runCli(['completion', 'zsh'], { env: bareEnv(dir) });
    expect(script.code, script.stderr).toBe(0);
    expect(script.stdout.startsWith('#compdef hh-oauth\n')).toBe(true);
    const file = join(dir, '_hh-oauth');
    writeFileSync(file, script.stdout);
    expect(spawnSync('zsh', ['-n', file]).status).toBe(0);
    const run = spawnSync('zsh', ['-f', '-c', [`autoload -U compinit && compinit -u -d ${join(dir, 'zcompdump')}`, `source ${file}`, 'print -r -- ${_comps[hh-oauth]}', '_hh_oauth_candidates http- config set', '_hh_oauth_candidates "" --profile'].join('\n')], { env, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.split('\n').slice(0, 3)).toEqual(['_hh-oauth', expect.stringMatching(/^client-id .*http-timeout http-retries/), '@profiles']);
  });

  it('an unknown shell is a usage error', async () => {
    const dir = workspace();
    const out = await runCli(['completion', 'fish'], { env: bareEnv(dir) });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^error: completion: unknown shell "fish"/);
  });
});
