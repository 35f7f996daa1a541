import type { Command } from 'commander';

/**
 * The commands that scripts and timers run in loops (`refresh`, `--version`, later
 * `token`), declared once as data. cli.ts builds their commander definitions (and so
 * their help) from this table, and parseHotArgs reads the same table so that src/main.ts
 * can run them without loading commander at all: commander alone costs more start-up
 * than a whole `refresh`. parseHotArgs only accepts an argv it understands exactly as
 * commander would; anything else (help, an unknown or malformed option, a positional)
 * returns undefined and goes to commander, so messages and errors have one source.
 */
export interface OptionSpec {
  /** Commander's flags syntax, limited here to `--name` or `--name <value>`. */
  flags: string;
  description: string;
}

export interface HotCommand {
  name: string;
  description: string;
  options: OptionSpec[];
  examples: string[];
}

/**
 * What a hot runner (src/hot/<name>.ts) returns when the invocation needs more than the
 * hot path carries (a lock, HTTP): src/main.ts then runs the same argv through commander.
 */
export const HANDOVER = Symbol('handover');
export type HotRunner = (opts: Record<string, string | true>) => Promise<void | typeof HANDOVER>;

export const VERSION_FLAGS = '-V, --version';

export const GLOBAL_OPTIONS: OptionSpec[] = [
  { flags: '--json', description: 'print exactly one JSON document on stdout (messages go to stderr)' },
  { flags: '--env-file <path>', description: 'read settings from a dotenv file (after flags and the environment)' },
  { flags: '--on-refresh <cmd>', description: 'run CMD after a refresh or exchange stores a new token (also HH_ON_REFRESH; see README)' },
  { flags: '--profile <name>', description: 'use the token file of profile NAME (default: HH_PROFILE, else the single default file)' },
  { flags: '--manager-account <id>', description: 'act as this employer manager account in API calls (default: HH_MANAGER_ACCOUNT_ID)' },
];

// To make another command hot: move its description and options from cli.ts into this
// table, give it a runner in src/hot/ (listed in src/main.ts) that answers the common case
// and returns HANDOVER otherwise, and list its full command in src/hot/full.ts.
// Positionals and option defaults need parseHotArgs to learn them first.
export const HOT_COMMANDS = {
  refresh: {
    name: 'refresh',
    description: 'refresh the token if (and only if) the access token has expired',
    options: [{ flags: '--force', description: 'ask hh.ru even if the token looks valid here (hh.ru still refuses before expiry)' }],
    examples: ['hh-oauth refresh', 'hh-oauth refresh --json | jq .seconds_left'],
  },
  token: {
    name: 'token',
    description: 'print the access token alone on stdout (refreshing it first if it has expired)',
    options: [
      { flags: '--header', description: 'print `Authorization: Bearer …` instead' },
      { flags: '--show', description: 'print it even when stdout is a terminal' },
      { flags: '--app', description: 'print the application token (see app-token) instead' },
    ],
    examples: [
      'curl -H "Authorization: Bearer $(hh-oauth token)" https://api.hh.ru/me',
      'curl -H "$(hh-oauth token --header)" https://api.hh.ru/me',
    ],
  },
} satisfies Record<string, HotCommand>;

export type HotName = keyof typeof HOT_COMMANDS;

/** Adds a hot command to commander with the table's description and options; the caller adds the action. */
export function hotCommand(program: Command, spec: HotCommand): Command {
  const command = program.command(spec.name).description(spec.description);
  for (const option of spec.options) command.option(option.flags, option.description);
  return command;
}

export type HotInvocation =
  | { kind: 'version' }
  | { kind: 'command'; command: HotCommand; opts: Record<string, string | true> };

interface Flag {
  key: string;
  takesValue: boolean;
}

function flagsOf(specs: OptionSpec[]): Map<string, Flag> {
  const flags = new Map<string, Flag>();
  for (const { flags: syntax } of specs) {
    const m = /^--([a-z][a-z0-9-]*)( <[^>]+>)?$/.exec(syntax);
    if (!m) throw new Error(`hot-path option syntax not supported: ${syntax}`);
    const key = m[1]!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    flags.set(`--${m[1]}`, { key, takesValue: m[2] !== undefined });
  }
  return flags;
}

/** argv without `node` and the script; undefined means "let commander handle it". */
export function parseHotArgs(args: string[], commands: Record<string, HotCommand> = HOT_COMMANDS): HotInvocation | undefined {
  if (args.length === 1 && VERSION_FLAGS.split(', ').includes(args[0]!)) return { kind: 'version' };
  const globals = flagsOf(GLOBAL_OPTIONS);
  const opts: Record<string, string | true> = {};
  let command: HotCommand | undefined;
  let flags = globals;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-')) {
      // The first operand names the command; any further operand is commander's to judge.
      if (command || !Object.hasOwn(commands, arg)) return undefined;
      command = commands[arg]!;
      flags = new Map([...globals, ...flagsOf(command.options)]);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 2 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    const flag = flags.get(name);
    if (!flag) return undefined;
    if (!flag.takesValue) {
      if (name !== arg) return undefined;
      opts[flag.key] = true;
    } else if (name !== arg) {
      opts[flag.key] = arg.slice(eq + 1);
    } else {
      // commander takes the next argument as the value even when it starts with a dash, but
      // for a command's option its program may claim such a word first (`--version`).
      const value = args[i + 1];
      if (value === undefined || (value.startsWith('-') && !globals.has(name))) return undefined;
      opts[flag.key] = value;
      i++;
    }
  }
  return command ? { kind: 'command', command, opts } : undefined;
}
