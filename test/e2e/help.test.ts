import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, HELP } from '../../src/cli/commands';
import { GLOBAL_OPTIONS } from '../../src/cli/global-options';
import { OTHER_VARIABLES } from '../../src/cli/help-topics';
import type { CommandSpec } from '../../src/cli/spec';
import { SETTINGS } from '../../src/config/config';
import { EXIT_CODES } from '../../src/errors';
import { bareEnv, jsonOut, REPO_ROOT, runCli, useTempDirs } from '../helpers';

/**
 * The help an operator reads, through the built CLI: every command's help lists the global
 * options, `help environment` and `help exit-codes` list what their sources hold, and a
 * typo gets one hint line naming the word it most likely meant.
 */
const workspace = useTempDirs('hh-help-');
const run = (args: string[]) => runCli(args, { env: bareEnv(workspace()) });

/** Every command path of the table, groups and their subcommands, and help itself. */
function paths(specs: readonly CommandSpec[], prefix: string[] = []): string[][] {
  return specs.flatMap((spec) => [[...prefix, spec.name], ...paths(spec.subcommands ?? [], [...prefix, spec.name])]);
}
const ALL = [...paths(COMMANDS), [HELP.name]];

describe('every command\'s help', () => {
  it('lists the global options, from global-options.ts, under "Global Options:" (by --help, and by `help CMD`)', { timeout: 90_000 }, async () => {
    expect(ALL.length).toBeGreaterThan(15);
    // `help CMD` is the same page: checked for a command, a group and a subcommand.
    const argvs = [...ALL.map((path) => [...path, '--help']), ['help', 'status'], ['help', 'config'], ['help', 'profiles', 'set']];
    // A few at a time: CI runs other files beside this one on two cores.
    const pages: Awaited<ReturnType<typeof run>>[] = [];
    for (let i = 0; i < argvs.length; i += 4) pages.push(...(await Promise.all(argvs.slice(i, i + 4).map(run))));
    for (const [i, page] of pages.entries()) {
      const argv = argvs[i]!.join(' ');
      expect(page.code, argv).toBe(0);
      const globals = page.stdout.split('\nGlobal Options:\n')[1];
      expect(globals, `${argv}: no "Global Options:" section`).toBeDefined();
      for (const option of GLOBAL_OPTIONS) expect(globals, `${argv}: ${option.flags}`).toContain(`  ${option.flags}  `);
    }
    // The root lists them as its own options.
    const root = await run(['--help']);
    for (const option of GLOBAL_OPTIONS) expect(root.stdout).toContain(`  ${option.flags}  `);
  });
});

/** The environment variables src/ reads by name (`env.NAME`, `'NAME' in env`), outside the sandbox. */
function variablesReadInSource(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (name !== 'sandbox') walk(path);
      } else if (name.endsWith('.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const m of text.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)\b|\[['"]([A-Z][A-Z0-9_]*)['"]\])|['"]([A-Z][A-Z0-9_]*)['"] in (?:process\.)?env\b/g)) names.add((m[1] ?? m[2] ?? m[3])!);
      }
    }
  };
  walk(join(REPO_ROOT, 'src'));
  return names;
}

describe('hh-oauth help environment', () => {
  it('lists every setting of SETTINGS with its default and key, and every other variable the CLI reads', async () => {
    const out = await run(['help', 'environment']);
    expect(out.code, out.stderr).toBe(0);
    // The text is wrapped to 80 columns: compared with its line breaks as spaces.
    const flat = out.stdout.replace(/\s+/g, ' ');
    for (const [name, spec] of Object.entries(SETTINGS)) {
      // A name too long for the column stands on a line of its own, its text below it.
      expect(out.stdout, name).toMatch(new RegExp(`^  ${name}(  |\\n {10,}\\S)`, 'm'));
      expect(flat, name).toContain(`(config key: ${spec.key})`);
      if ('default' in spec) expect(flat, name).toContain(`[default: ${spec.default}]`);
    }
    const read = variablesReadInSource();
    // Otherwise the scan would pass vacuously.
    expect(read.size).toBeGreaterThan(10);
    const listed = new Set([...Object.keys(SETTINGS), ...OTHER_VARIABLES.flatMap((v) => v.name.split(', '))]);
    expect([...read].filter((name) => !listed.has(name))).toEqual([]);
    for (const name of listed) expect(flat, name).toContain(name);
    expect(out.stdout).toContain('HH_EVENT');

    const json = jsonOut(await run(['help', 'environment', '--json']));
    expect(json.settings.map((s: { name: string }) => s.name)).toEqual(Object.keys(SETTINGS));
    expect(json.settings.find((s: { name: string }) => s.name === 'HH_CLIENT_SECRET')).toMatchObject({ key: 'client-secret', secret: true, default: null });
  });
});

describe('hh-oauth help exit-codes', () => {
  it('lists every exit code of EXIT_CODES, by number and name, and which ones systemd retries', async () => {
    const out = await run(['help', 'exit-codes']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^ {2}0 {2}success/m);
    for (const [name, code] of Object.entries(EXIT_CODES)) expect(out.stdout, name).toMatch(new RegExp(`^  ${code}  ${name}: \\S`, 'm'));
    const json = jsonOut(await run(['help', 'exit-codes', '--json']));
    expect(json.exit_codes.map((e: { code: number }) => e.code)).toEqual([0, ...Object.values(EXIT_CODES)]);
    expect(json.exit_codes.filter((e: { retried_by_systemd: boolean }) => e.retried_by_systemd).map((e: { name: string }) => e.name)).toEqual(['temporary']);
  });
});

// argv, the error line, the hint line (exit 2 each).
const TYPOS: Array<[string[], string, string]> = [
  [['config', 'lst'], 'unknown command `hh-oauth config lst`', 'did you mean `hh-oauth config list`?'],
  [['config', 'sett', 'client-id', 'x'], 'unknown command `hh-oauth config sett`', 'did you mean `hh-oauth config set`?'],
  [['config', 'set', 'clientid', 'x'], 'unknown setting "clientid"', 'did you mean client-id? valid keys: client-id, '],
  [['config', 'get', 'HH_CLIENTID'], 'unknown setting "HH_CLIENTID"', 'did you mean HH_CLIENT_ID? valid keys: '],
  [['config', 'unset', 'redirect-url'], 'unknown setting "redirect-url"', 'did you mean redirect-uri? valid keys: '],
  [['config', 'xyzzy'], 'unknown command `hh-oauth config xyzzy`', 'run `hh-oauth config --help` for the commands'],
  [['profiles', 'sett', 'manager-account', '1'], 'unknown command `hh-oauth profiles sett`', 'did you mean `hh-oauth profiles set`?'],
  [['profiles', 'lst'], 'unknown command `hh-oauth profiles lst`', 'did you mean `hh-oauth profiles list`?'],
  [['profiles', 'set', 'manager-acount', '1'], '"manager-acount" cannot be saved per profile', 'did you mean manager-account? keys saved per profile: manager-account'],
  [['help', 'refrsh'], 'unknown command `hh-oauth help refrsh`', 'did you mean `hh-oauth help refresh`?'],
  [['help', 'enviroment'], 'unknown command `hh-oauth help enviroment`', 'did you mean `hh-oauth help environment`?'],
  [['help', 'config', 'lst'], 'unknown command `hh-oauth help config lst`', 'did you mean `hh-oauth help config list`?'],
  [['refrsh'], "unknown command 'refrsh'", 'did you mean refresh? (`hh-oauth --help` for usage)'],
  [['status', '--jsn'], "unknown option '--jsn'", 'did you mean --json? (`hh-oauth --help` for usage)'],
  [['refresh', '--forse'], "unknown option '--forse'", 'did you mean --force? (`hh-oauth --help` for usage)'],
];

describe('a typo', () => {
  it.each(TYPOS)('%j: one error line, then one hint line naming the likely word', async (argv, error, hint) => {
    const out = await run(argv);
    expect(out.code, out.stderr).toBe(2);
    const lines = out.stderr.trimEnd().split('\n');
    expect(lines, out.stderr).toHaveLength(2);
    expect(lines[0]).toBe(`error: ${error}`);
    expect(lines[1]!.startsWith(`hint: ${hint}`), lines[1]).toBe(true);
    expect(out.stdout).toBe('');
  });

  it('`help` with an unknown word prints no help and never "(outputHelp)"; with --json the hint is the suggestion', async () => {
    const out = await run(['help', 'refrsh']);
    expect(out.stderr).not.toContain('outputHelp');
    expect(out.stderr).not.toContain('Usage:');
    const json = await run(['--json', 'config', 'lst']);
    expect(json.code).toBe(2);
    expect(jsonOut(json)).toEqual({ error: { code: 'usage', message: 'unknown command `hh-oauth config lst`', suggestion: 'did you mean `hh-oauth config list`?' } });
  });

  it('a group without its subcommand still prints the group\'s help and names the subcommands', async () => {
    const out = await run(['config']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('Usage: hh-oauth config');
    expect(out.stderr.trimEnd().split('\n').at(-1)).toBe('error: `hh-oauth config` needs a subcommand: set, get, unset or list');
    // profiles' default subcommand still runs on its own.
    expect((await run(['profiles', '--json'])).code).toBe(0);
    expect((await run(['profiles', 'list', '--json'])).code).toBe(0);
  });
});
