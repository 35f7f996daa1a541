import { GLOBAL_OPTIONS, VERSION_FLAGS } from './global-options';
import { HOT_COMMANDS, type HotName, type HotOptions } from './hot-commands';
import type { CommandSpec, OptionSpec } from './spec';

/**
 * The hot path's argv parser, which lets src/main.ts run the hot commands (hot-commands.ts)
 * without loading commander at all: commander alone costs more start-up than a whole
 * `refresh`. It reads the same declarations as the commander program, and only accepts an
 * argv it understands exactly as commander would; anything else (help, an unknown, cold or
 * malformed option, a positional) returns undefined and goes to commander, so messages and
 * errors have one source.
 */

/**
 * What a hot runner (src/cli/hot/<name>.ts) returns when the invocation needs more than the
 * hot path carries (a lock, HTTP): src/main.ts then runs the full command (hot/full.ts).
 */
export const HANDOVER = Symbol('handover');
/**
 * What a hot runner returns when the tokens are not in the token file (HH_TOKEN_STORE names a
 * database): src/main.ts then runs the command from dist/cli.js, whose store chunk carries the
 * PostgreSQL driver; the CommonJS hot bundles never do (check:dist).
 */
export const TO_CLI = Symbol('to-cli');
export type HotRunner<N extends HotName> = (opts: HotOptions[N]) => Promise<void | typeof HANDOVER | typeof TO_CLI>;

export type HotInvocation =
  | { kind: 'version' }
  | { [N in HotName]: { kind: 'command'; name: N; opts: HotOptions[N] } }[HotName];

interface Flag {
  key: string;
  takesValue: boolean;
  /** `--no-name`: commander's value is true unless the flag is given. */
  negated: boolean;
}

/** The flags the hot path parses itself; a cold option is left out, so an argv with it is handed over. */
function flagsOf(specs: readonly OptionSpec[]): Map<string, Flag> {
  const flags = new Map<string, Flag>();
  for (const spec of specs) {
    if (spec.cold) continue;
    const m = /^--([a-z][a-z0-9-]*)( <[^>]+>)?$/.exec(spec.flags);
    const negated = m?.[1]!.startsWith('no-') ?? false;
    // A default, a --no- flag with a value, choices or a list would each make commander's options differ from these.
    if (!m || (negated && m[2] !== undefined) || spec.default !== undefined || spec.choices || spec.repeatable) {
      throw new Error(`hot-path option syntax not supported: ${spec.flags}`);
    }
    // Commander's key: `--dry-run` → dryRun, `--no-color` → color.
    const key = (negated ? m[1]!.slice('no-'.length) : m[1]!).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    flags.set(`--${m[1]}`, { key, takesValue: m[2] !== undefined, negated });
  }
  return flags;
}

/** As commander does: a `--no-name` option is true until the flag is given. */
function setNegatedDefaults(flags: Map<string, Flag>, opts: Record<string, string | boolean>): void {
  for (const flag of flags.values()) if (flag.negated && !(flag.key in opts)) opts[flag.key] = true;
}

/** argv without `node` and the script; undefined means "let commander handle it". */
export function parseHotArgs(args: string[], commands: Readonly<Record<string, CommandSpec>> = HOT_COMMANDS): HotInvocation | undefined {
  if (args.length === 1 && VERSION_FLAGS.split(', ').includes(args[0]!)) return { kind: 'version' };
  const globals = flagsOf(GLOBAL_OPTIONS);
  const opts: Record<string, string | boolean> = {};
  let command: CommandSpec | undefined;
  let flags = globals;
  setNegatedDefaults(flags, opts);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-')) {
      // The first operand names the command; any further operand is commander's to judge.
      if (command || !Object.hasOwn(commands, arg)) return undefined;
      command = commands[arg]!;
      // Positionals and subcommands are not parsed here (yet).
      if (command.arguments || command.subcommands) throw new Error(`hot-path command shape not supported: ${command.name}`);
      flags = new Map([...globals, ...flagsOf(command.options ?? [])]);
      setNegatedDefaults(flags, opts);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 2 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    const flag = flags.get(name);
    if (!flag) return undefined;
    if (!flag.takesValue) {
      if (name !== arg) return undefined;
      opts[flag.key] = !flag.negated;
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
  if (!command) return undefined;
  // In commander's order (optsWithGlobals: the command's own options, then the globals over them).
  const globalKeys = new Set([...globals.values()].map((flag) => flag.key));
  const ordered = Object.fromEntries([...Object.entries(opts).filter(([key]) => !globalKeys.has(key)), ...Object.entries(opts).filter(([key]) => globalKeys.has(key))]);
  // The options were parsed from the command's own declaration, so they have its options' types.
  return { kind: 'command', name: command.name, opts: ordered } as HotInvocation;
}
