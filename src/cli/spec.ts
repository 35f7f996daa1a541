import type { GlobalOptions } from './global-options';

/**
 * The shape of a command's declaration (src/cli/commands.ts), and the types derived from
 * it. A declaration is plain data, written `as const`: the commander program
 * (program.ts) builds the command and its help from it, the hot path (hot-args.ts) parses
 * from it, and each command module takes `OptionsFor<typeof ITS_DECLARATION>`, so an
 * option added to the declaration reaches the command's type with nothing else to edit.
 */
export interface OptionSpec {
  /** Commander's flags: `--name`, `--no-name` (default true), `--name <value>`, `-n, --name`. */
  readonly flags: string;
  readonly description: string;
  /** What the command receives when the option is not given; help shows it. */
  readonly default?: string;
  /** The only values accepted; anything else is a usage error. */
  readonly choices?: readonly string[];
  /** Each use adds its value to a list instead of replacing the last one. */
  readonly repeatable?: true;
  /** For a hot command: an argv with this option always goes to the full path (commander). */
  readonly cold?: true;
}

export interface ArgumentSpec {
  /** `<name>` is required, `[name]` optional. */
  readonly name: string;
  readonly description: string;
}

export interface CommandSpec {
  readonly name: string;
  readonly description: string;
  readonly arguments?: readonly ArgumentSpec[];
  readonly options?: readonly OptionSpec[];
  /** Shell lines for the help's "Examples:" section, without the `$ `. */
  readonly examples?: readonly string[];
  /**
   * A command that only groups others. Without an isDefault subcommand, naming none
   * prints the group's help and is a usage error.
   */
  readonly subcommands?: readonly CommandSpec[];
  /** Runs when its group is called without a subcommand. */
  readonly isDefault?: true;
}

type LongFlag<F extends string> = F extends `${string}--${infer Rest}` ? (Rest extends `${infer Name} ${string}` ? Name : Rest) : never;
type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;
type IsNegated<F extends string> = LongFlag<F> extends `no-${string}` ? true : false;

/** The key commander stores an option under: `--dry-run` → dryRun, `--no-open` → open. */
export type OptionKey<F extends string> = LongFlag<F> extends `no-${infer Name}` ? CamelCase<Name> : CamelCase<LongFlag<F>>;

type OptionValue<O extends OptionSpec> = IsNegated<O['flags']> extends true
  ? boolean
  : O['flags'] extends `${string}<${string}>`
    ? O extends { repeatable: true }
      ? string[]
      : O extends { choices: readonly (infer C)[] }
        ? C
        : string
    : boolean;

/** Present whatever the argv: it has a default, or it is a `--no-` flag (true by default). */
type AlwaysSet<O extends OptionSpec> = O extends { default: string } ? true : IsNegated<O['flags']>;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The options object commander builds from these declarations. */
export type OptionsOf<Os extends readonly OptionSpec[]> = Simplify<
  { [O in Os[number] as AlwaysSet<O> extends true ? OptionKey<O['flags']> : never]: OptionValue<O> } & {
    [O in Os[number] as AlwaysSet<O> extends true ? never : OptionKey<O['flags']>]?: OptionValue<O>;
  }
>;

/** The positional arguments commander passes, in order. */
export type ArgsOf<As extends readonly ArgumentSpec[] | undefined> = As extends readonly ArgumentSpec[]
  ? { -readonly [I in keyof As]: As[I] extends { name: `<${string}>` } ? string : string | undefined }
  : [];

/** What a command's options object holds: its own options and the global ones, by name. */
export type OptionsFor<S extends CommandSpec> = Simplify<GlobalOptions & (S['options'] extends readonly OptionSpec[] ? OptionsOf<S['options']> : {})>;

/** The function that runs a command: its positional arguments, then its options. */
export type RunnerOf<S extends CommandSpec> = (...args: [...ArgsOf<S['arguments']>, OptionsFor<S>]) => Promise<void>;
