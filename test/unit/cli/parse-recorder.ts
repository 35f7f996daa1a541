import { Command, CommanderError } from 'commander';
import { parseHotArgs } from '../../../src/cli/hot-args';
import { fromCommander } from '../../../src/cli/commander-error';
import { buildProgram } from '../../../src/cli/program';
import { HhOauthError } from '../../../src/errors';
import { setRecorder } from './fake-commands';

/**
 * How the CLI parses an argv, recorded in-process: the commander program is the real
 * one (buildProgram), the command modules are stand-ins (fake-commands.ts) that record
 * what the wiring hands them. The same code records the fixtures of today's CLI
 * (scripts/record-cli-fixtures.mjs) and checks the current one against them
 * (command-table.test.ts), so the two can differ only in what they parse.
 */
export type Outcome =
  /** A command module was called: which export, its positional arguments, its options. */
  | { kind: 'action'; call: string; args: unknown[]; opts: unknown; stdout: string; stderr: string }
  /** Commander ended the parse with exit 0 (help, version). */
  | { kind: 'exit'; code: 0; stdout: string; stderr: string }
  /** A usage error (or another HhOauthError thrown before any command module ran). */
  | { kind: 'error'; code: number; error: string; message: string; suggestion?: string; stdout: string; stderr: string }
  /** The parse ended without calling anything (never expected; recorded rather than hidden). */
  | { kind: 'none'; stdout: string; stderr: string };

export type HotOutcome = null | { kind: 'version' } | { kind: 'command'; name: string; opts: unknown };

/** Every command of the tree with its own output captured, at the width commander uses for a pipe (80) and without colour. */
function captureOutput(command: Command, out: string[], err: string[]): void {
  command.configureOutput({
    writeOut: (text) => void out.push(text),
    writeErr: (text) => void err.push(text),
    outputError: () => undefined,
    getOutHelpWidth: () => 80,
    getErrHelpWidth: () => 80,
    getOutHasColors: () => false,
    getErrHasColors: () => false,
  });
  for (const sub of command.commands) captureOutput(sub, out, err);
}

/**
 * undefined made visible, so that a JSON fixture and a strict comparison tell
 * "absent" from "present but undefined" (JSON would turn one into null and drop the other).
 */
export function encode(value: unknown): unknown {
  if (value === undefined) return { $undefined: true };
  if (Array.isArray(value)) return value.map(encode);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)]));
  }
  return value;
}

/** The argv (without node and the script) through the commander program, as the program's entry runs it. */
export async function parseInProcess(argv: string[]): Promise<Outcome> {
  const out: string[] = [];
  const err: string[] = [];
  const output = () => ({ stdout: out.join(''), stderr: err.join('') });
  let call: { call: string; args: unknown[] } | undefined;
  setRecorder((name, args) => {
    if (call) throw new Error(`two command calls in one parse: ${call.call}, ${name}`);
    call = { call: name, args };
  });
  const program = buildProgram();
  captureOutput(program, out, err);
  try {
    // As the entry does: no argument at all prints the help on stderr and is a usage error.
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      throw new HhOauthError('usage', 'no command given');
    }
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return { kind: 'exit', code: 0, ...output() };
      const usage = fromCommander(e);
      return { kind: 'error', code: 2, error: 'usage', message: usage.message, suggestion: usage.suggestion, ...output() };
    }
    if (e instanceof HhOauthError) {
      return { kind: 'error', code: e.exitCode, error: e.code, message: e.message, ...(e.suggestion ? { suggestion: e.suggestion } : {}), ...output() };
    }
    throw e;
  } finally {
    setRecorder(undefined);
  }
  if (!call) return { kind: 'none', ...output() };
  const args = call.args.slice(0, -1);
  return { kind: 'action', call: call.call, args: encode(args) as unknown[], opts: encode(call.args.at(-1)), ...output() };
}

/** The hot path's parse of the same argv: null when it hands the argv to commander. */
export function parseHot(argv: string[]): HotOutcome {
  const parsed = parseHotArgs(argv);
  if (!parsed) return null;
  if (parsed.kind === 'version') return { kind: 'version' };
  return { kind: 'command', name: parsed.name, opts: encode(parsed.opts) };
}

export interface CommandShape {
  path: string[];
  args: Array<{ name: string; required: boolean }>;
  options: Array<{ flags: string; long?: string; short?: string; negate: boolean; takesValue: boolean; choices?: string[]; repeatable: boolean }>;
}

/** The commands of the program with their arguments and options, for building a corpus of argvs. */
export function describeProgram(): { globals: CommandShape['options']; commands: CommandShape[] } {
  const program = buildProgram();
  const optionsOf = (command: Command): CommandShape['options'] =>
    command.options
      .filter((o) => o.long !== '--version')
      .map((o) => ({
        flags: o.flags,
        long: o.long,
        short: o.short,
        negate: o.negate,
        takesValue: o.required || o.optional,
        choices: o.argChoices,
        // Besides choices, a custom parser here only ever collects repeated values.
        repeatable: typeof o.parseArg === 'function' && !o.argChoices,
      }));
  const commands: CommandShape[] = [];
  const walk = (command: Command, path: string[]) => {
    for (const sub of command.commands) {
      const here = [...path, sub.name()];
      commands.push({
        path: here,
        args: sub.registeredArguments.map((a) => ({ name: a.name(), required: a.required })),
        options: optionsOf(sub),
      });
      walk(sub, here);
    }
  };
  walk(program, []);
  return { globals: optionsOf(program), commands };
}
