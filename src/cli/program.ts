import { Command, Option } from 'commander';
import { usageError, type HhOauthError } from '../errors';
import { result, setJsonMode, write } from '../output';
import { closest } from '../suggest';
import { VERSION } from '../version';
import { COMMANDS, HELP, PROGRAM } from './commands';
import { GLOBAL_OPTIONS, VERSION_FLAGS } from './global-options';
import { environmentJson, environmentText, exitCodesJson, exitCodesText, HELP_TOPICS, type HelpTopic } from './help-topics';
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
  const names = subcommands.map((sub) => sub.name);
  const fallback = subcommands.find((sub) => sub.isDefault);
  if (fallback) {
    // Commander hands an unknown word to the default subcommand, which would call it an extra argument.
    command.hook('preSubcommand', (group, sub) => {
      const word = group.args[0];
      if (sub.name() === fallback.name && !fallback.arguments && word !== undefined && !word.startsWith('-') && !names.includes(word)) throw unknownCommand(path, word, names);
    });
    return;
  }
  // Set after the subcommands are added, which would inherit it: only the group takes the stray word, to name it.
  command.allowExcessArguments(true).action(() => {
    const word = command.args.find((arg) => !arg.startsWith('-'));
    if (word !== undefined) throw unknownCommand(path, word, names);
    command.outputHelp({ error: true });
    throw usageError(`\`hh-oauth ${path}\` needs a subcommand: ${names.slice(0, -1).join(', ')} or ${names.at(-1)}`);
  });
}

/** A word that names no subcommand (or help topic): a usage error, with one hint line. */
function unknownCommand(path: string, word: string, candidates: readonly string[], otherwise = `run \`hh-oauth ${path} --help\` for the commands`): HhOauthError {
  const guess = closest(word, candidates);
  return usageError(`unknown command \`hh-oauth ${path} ${word.slice(0, 64)}\``, guess === undefined ? otherwise : `did you mean \`hh-oauth ${path} ${guess}\`?`);
}

/**
 * `hh-oauth help [command…|topic]`, instead of commander's help command, which prints the
 * program's help and then fails with "(outputHelp)" for a word it does not know.
 */
function addHelpCommand(program: Command): void {
  program.helpCommand(false);
  addDeclared(program, HELP).action((words: string[], _opts: unknown, command: Command) => {
    const json = Boolean(command.optsWithGlobals().json);
    setJsonMode(json);
    const [first] = words;
    if ((HELP_TOPICS as readonly string[]).includes(first!)) {
      if (words.length > 1) throw usageError(`\`hh-oauth help ${first}\` takes nothing after it`, `run \`hh-oauth help ${first}\``);
      return printTopic(first as HelpTopic);
    }
    let target = program;
    for (const [i, word] of words.entries()) {
      const sub = target.commands.find((c) => c.name() === word);
      if (!sub) {
        const path = words.slice(0, i).join(' ');
        const candidates = [...target.commands.map((c) => c.name()), ...(i === 0 ? HELP_TOPICS : [])];
        const otherwise = `run \`hh-oauth ${path ? `${path} ` : ''}--help\` for the commands${i === 0 ? ` (and the topics: ${HELP_TOPICS.join(', ')})` : ''}`;
        throw unknownCommand(['help', ...words.slice(0, i)].join(' '), word, candidates, otherwise);
      }
      target = sub;
    }
    // As commander's own help ends (exit 0 through exitOverride, so the entry returns quietly).
    target.help();
  });
}

function printTopic(topic: HelpTopic): void {
  if (topic === 'environment') result(environmentJson(), environmentText());
  else result(exitCodesJson(), exitCodesText());
}

export function buildProgram(): Command {
  const program = new Command(PROGRAM.name).description(PROGRAM.description).version(VERSION, VERSION_FLAGS);
  for (const option of GLOBAL_OPTIONS) program.addOption(optionOf(option));
  // Before the commands are added, which copy it: every command's help lists the global options too.
  program.configureHelp({ showGlobalOptions: true });
  program
    .addHelpText('after', examples(PROGRAM.examples))
    .exitOverride()
    // Through write(): `hh-oauth --help | head` must end quietly, not with a stack trace for EPIPE.
    .configureOutput({ writeOut: (text) => write(1, text), writeErr: (text) => write(2, text), outputError: () => undefined });
  for (const spec of COMMANDS) addCommand(program, spec);
  addHelpCommand(program);
  return program;
}
