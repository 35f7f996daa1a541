import { Command } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GLOBAL_OPTIONS, VERSION_FLAGS } from '../../../src/cli/global-options';
import { parseHotArgs } from '../../../src/cli/hot-args';
import { HOT_COMMANDS } from '../../../src/cli/hot-commands';
import { addDeclared, optionOf } from '../../../src/cli/program';
import type { CommandSpec } from '../../../src/cli/spec';

/**
 * The hot path must never disagree with commander: whenever parseHotArgs accepts an
 * argv, commander (built from the same declarations, as program.ts builds it) must run the same
 * command with the same options. Anything else it must hand over.
 */
type Outcome = { kind: 'command'; name: string; opts: Record<string, unknown> } | { kind: 'version' } | { kind: 'error'; code: string };

const TABLE: Record<string, CommandSpec> = {
  ...HOT_COMMANDS,
  // A command with a value option, so that the parser's value handling is exercised on commands too.
  probe: { name: 'probe', description: 'test only', options: [{ flags: '--limit <n>', description: 'n' }] },
};

function commander(args: string[]): Outcome {
  const program = new Command('hh-oauth').version('9.9.9', VERSION_FLAGS).exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  for (const option of GLOBAL_OPTIONS) program.addOption(optionOf(option));
  // A sibling that is not hot, as the program has, so that commander sees several commands.
  program.command('whoami').action(() => undefined);
  let outcome: Outcome = { kind: 'error', code: 'no action ran' };
  for (const spec of Object.values(TABLE)) {
    addDeclared(program, spec).action((_opts: unknown, command: Command) => {
      outcome = { kind: 'command', name: spec.name, opts: command.optsWithGlobals() };
    });
  }
  try {
    program.parse(args, { from: 'user' });
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'thrown';
    return code === 'commander.version' ? { kind: 'version' } : { kind: 'error', code };
  }
  return outcome;
}

function hot(args: string[]): Outcome | undefined {
  const parsed = parseHotArgs(args, TABLE);
  if (!parsed) return undefined;
  return parsed.kind === 'version' ? parsed : { kind: 'command', name: parsed.name, opts: parsed.opts };
}

const WORDS = ['refresh', 'probe', 'whoami', '--force', '--all', '--concurrency=2', '--json', '--env-file', '--env-file=a.env', '--env-file=', 'a.env', '--limit', '--limit=3', '3', '-V', '--version', '--help', '-h', '--', '-', '--bogus', '--force=1', '--json=yes', '-x', 'help', '--no-color', '--no-color=1'];

describe('parseHotArgs', () => {
  it('runs exactly what commander would, for every argv it accepts (property)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...WORDS), { maxLength: 6 }), (args) => {
        const fast = hot(args);
        if (fast) {
          accepted++;
          expect(commander(args), args.join(' ')).toEqual(fast);
        }
      }),
      { numRuns: 3000 },
    );
    // Otherwise the property would hold vacuously.
    expect(accepted).toBeGreaterThan(20);
  });

  it('accepts the argvs that timers and scripts use', () => {
    expect(hot(['refresh'])).toEqual({ kind: 'command', name: 'refresh', opts: { color: true } });
    expect(hot(['--json', 'refresh', '--force', '--env-file', '/etc/hh.env'])).toEqual({
      kind: 'command',
      name: 'refresh',
      opts: { json: true, force: true, envFile: '/etc/hh.env', color: true },
    });
    expect(hot(['refresh', '--env-file=-odd-name'])).toEqual({ kind: 'command', name: 'refresh', opts: { envFile: '-odd-name', color: true } });
    // The global --no-color, before or after the command (commander's key: color, true unless given).
    expect(hot(['--no-color', 'token'])).toEqual({ kind: 'command', name: 'token', opts: { color: false } });
    expect(hot(['token', '--no-color', '--json'])).toEqual({ kind: 'command', name: 'token', opts: { color: false, json: true } });
    expect(hot(['--version'])).toEqual({ kind: 'version' });
    expect(hot(['-V'])).toEqual({ kind: 'version' });
    // The same answers as commander's.
    for (const args of [['refresh'], ['--json', 'refresh', '--force', '--env-file', '/etc/hh.env'], ['-V'], ['--no-color', 'token'], ['token', '--no-color', '--json']]) expect(commander(args)).toEqual(hot(args));
  });

  it('hands help, errors and everything unknown to commander', () => {
    const declined = [
      [],
      ['refresh', '--help'],
      ['refresh', '-h'],
      ['help', 'refresh'],
      ['refresh', '--bogus'],
      ['refresh', 'extra'],
      ['--force', 'refresh'],
      ['refresh', '--env-file'],
      ['refresh', '--json=yes'],
      ['refresh', '--'],
      ['whoami'],
      ['--version', 'refresh'],
      ['--json'],
      ['refresh', '--no-color=1'],
    ];
    for (const args of declined) expect(hot(args), args.join(' ')).toBeUndefined();
  });

  it('hands over an argv with a cold option (refresh --all), which only the full path runs', () => {
    for (const args of [['refresh', '--all'], ['refresh', '--concurrency', '2', '--all'], ['refresh', '--concurrency=2'], ['--json', 'refresh', '--force', '--all']]) {
      expect(hot(args), args.join(' ')).toBeUndefined();
      expect(commander(args)).toMatchObject({ kind: 'command', name: 'refresh' });
    }
  });

  it('refuses a declaration it cannot parse as commander would, instead of guessing', () => {
    const unsupported: CommandSpec['options'][] = [
      [{ flags: '-f, --force', description: '' }],
      [{ flags: '--no-wait <x>', description: '' }],
      [{ flags: '--limit <n>', description: '', default: '3' }],
      [{ flags: '--kind <k>', description: '', choices: ['a', 'b'] }],
      [{ flags: '--tag <t>', description: '', repeatable: true }],
    ];
    for (const options of unsupported) {
      const bad: CommandSpec = { name: 'bad', description: '', options };
      expect(() => parseHotArgs(['bad'], { bad }), options![0]!.flags).toThrow(/not supported/);
    }
    const positional: CommandSpec = { name: 'bad', description: '', arguments: [{ name: '[x]', description: '' }] };
    expect(() => parseHotArgs(['bad'], { bad: positional })).toThrow(/not supported/);
    // A cold option may be anything: the hot path never parses it.
    const cold: CommandSpec = { name: 'ok', description: '', options: [{ flags: '-n, --no-wait', description: '', cold: true }] };
    expect(parseHotArgs(['ok'], { ok: cold })).toEqual({ kind: 'command', name: 'ok', opts: { color: true } });
  });
});
