import { Command, Option } from 'commander';
import { usageError } from '../errors';
import { setJsonMode, write } from '../output';
import { VERSION } from '../version';
import { COMMANDS, PROGRAM } from './commands';
import { GLOBAL_OPTIONS, VERSION_FLAGS } from './global-options';
import { LOADERS, type CommandPath } from './loaders';
import type { CommandSpec, OptionSpec } from './spec';

/**
 * The commander program, built from the command table (commands.ts): wiring only, no
 * command's own text. Each command's module is imported inside its action (loaders.ts).
 * The hot commands usually run without this file: see src/main.ts.
 */
const examples = (lines: readonly string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function optionOf(spec: OptionSpec): Option {
  const option = new Option(spec.flags, spec.description);
  if (spec.default !== undefined) option.default(spec.default);
  if (spec.choices) option.choices(spec.choices);
  if (spec.repeatable) option.argParser(collect);
  return option;
}

/** Adds a declared command (name, description, arguments, options, examples) to parent; no subcommands, no action. */
export function addDeclared(parent: Command, spec: CommandSpec): Command {
  const command = parent.command(spec.name, spec.isDefault ? { isDefault: true } : {}).description(spec.description);
  for (const argument of spec.arguments ?? []) command.argument(argument.name, argument.description);
  for (const option of spec.options ?? []) command.addOption(optionOf(option));
  if (spec.examples) command.addHelpText('after', examples(spec.examples));
  return command;
}

/** Commander calls an action with the positional arguments, its options object and the command. */
function action(path: CommandPath) {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const positional = args.slice(0, -2);
    const opts = command.optsWithGlobals();
    setJsonMode(Boolean(opts.json));
    const run = (await LOADERS[path]()) as (...args: unknown[]) => Promise<void>;
    // The one unchecked step: commander's values against the types derived from the same declaration.
    await run(...positional, opts);
  };
}

function addCommand(parent: Command, spec: CommandSpec, prefix = ''): void {
  const command = addDeclared(parent, spec);
  const path = `${prefix}${spec.name}`;
  const subcommands = spec.subcommands;
  if (!subcommands) {
    command.action(action(path as CommandPath));
    return;
  }
  for (const sub of subcommands) addCommand(command, sub, `${path} `);
  if (subcommands.some((sub) => sub.isDefault)) return;
  const names = subcommands.map((sub) => sub.name);
  command.action(() => {
    command.outputHelp({ error: true });
    throw usageError(`\`hh-oauth ${path}\` needs a subcommand: ${names.slice(0, -1).join(', ')} or ${names.at(-1)}`);
  });
}

export function buildProgram(): Command {
  const program = new Command(PROGRAM.name).description(PROGRAM.description).version(VERSION, VERSION_FLAGS);
  for (const option of GLOBAL_OPTIONS) program.addOption(optionOf(option));
  program
    .addHelpText('after', examples(PROGRAM.examples))
    .exitOverride()
    // Through write(): `hh-oauth --help | head` must end quietly, not with a stack trace for EPIPE.
    .configureOutput({ writeOut: (text) => write(1, text), writeErr: (text) => write(2, text), outputError: () => undefined });
  for (const spec of COMMANDS) addCommand(program, spec);
  return program;
}
