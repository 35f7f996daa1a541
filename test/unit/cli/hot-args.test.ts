import { Command } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GLOBAL_OPTIONS, HOT_COMMANDS, hotCommand, parseHotArgs, VERSION_FLAGS, type HotCommand } from '../../../src/cli/hot-args';

/**
 * The hot path must never disagree with commander: whenever parseHotArgs accepts an
 * argv, commander (built from the same table, as cli.ts builds it) must run the same
 * command with the same options. Anything else it must hand over.
 */
type Outcome = { kind: 'command'; name: string; opts: Record<string, unknown> } | { kind: 'version' } | { kind: 'error'; code: string };

const TABLE: Record<string, HotCommand> = {
  ...HOT_COMMANDS,
  // A command with a value option, so that the parser's value handling is exercised on commands too.
  probe: { name: 'probe', description: 'test only', options: [{ flags: '--limit <n>', description: 'n' }], examples: [] },
};

function commander(args: string[]): Outcome {
  const program = new Command('hh-oauth').version('9.9.9', VERSION_FLAGS).exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  for (const option of GLOBAL_OPTIONS) program.option(option.flags, option.description);
  // A sibling that is not hot, as cli.ts has, so that commander sees several commands.
  program.command('whoami').action(() => undefined);
  let outcome: Outcome = { kind: 'error', code: 'no action ran' };
  for (const spec of Object.values(TABLE)) {
    hotCommand(program, spec).action((_opts: unknown, command: Command) => {
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
  return parsed.kind === 'version' ? parsed : { kind: 'command', name: parsed.command.name, opts: parsed.opts };
}

const WORDS = ['refresh', 'probe', 'whoami', '--force', '--json', '--env-file', '--env-file=a.env', '--env-file=', 'a.env', '--limit', '--limit=3', '3', '-V', '--version', '--help', '-h', '--', '-', '--bogus', '--force=1', '--json=yes', '-x', 'help'];

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
    expect(hot(['refresh'])).toEqual({ kind: 'command', name: 'refresh', opts: {} });
    expect(hot(['--json', 'refresh', '--force', '--env-file', '/etc/hh.env'])).toEqual({
      kind: 'command',
      name: 'refresh',
      opts: { json: true, force: true, envFile: '/etc/hh.env' },
    });
    expect(hot(['refresh', '--env-file=-odd-name'])).toEqual({ kind: 'command', name: 'refresh', opts: { envFile: '-odd-name' } });
    expect(hot(['--version'])).toEqual({ kind: 'version' });
    expect(hot(['-V'])).toEqual({ kind: 'version' });
    // The same answers as commander's.
    for (const args of [['refresh'], ['--json', 'refresh', '--force', '--env-file', '/etc/hh.env'], ['-V']]) expect(commander(args)).toEqual(hot(args));
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
    ];
    for (const args of declined) expect(hot(args), args.join(' ')).toBeUndefined();
  });

  it('refuses an option syntax it cannot parse, instead of guessing', () => {
    const bad: HotCommand = { ...HOT_COMMANDS.refresh, name: 'bad', options: [{ flags: '-f, --force', description: '' }] };
    expect(() => parseHotArgs(['bad'], { bad })).toThrow(/not supported/);
  });
});
