import type { GlobalFlags } from '../config/config';
import type { OptionsOf, OptionSpec } from './spec';

/**
 * The options every command takes, before or after its name. Declared here once: the
 * commander program adds them to the root, the hot path parses them, and GlobalOptions
 * (what loadConfig reads) is derived from them.
 */
export const VERSION_FLAGS = '-V, --version';

export const GLOBAL_OPTIONS = [
  { flags: '--json', description: 'print exactly one JSON document on stdout (messages go to stderr)' },
  { flags: '--env-file <path>', description: 'read settings from a dotenv file (after flags and the environment)' },
  // A flag, so it wins over HH_ON_REFRESH.
  { flags: '--on-refresh <cmd>', description: 'run CMD after a refresh or exchange stores a new token (also HH_ON_REFRESH; see README)' },
  { flags: '--profile <name>', description: 'use the token file of profile NAME (default: HH_PROFILE, else the single default file)' },
  { flags: '--manager-account <id>', description: 'act as this employer manager account in API calls (default: HH_MANAGER_ACCOUNT_ID)' },
  // Acted on by output.ts's prepareColours, which reads argv before any parser runs, so that a usage error follows it too.
  { flags: '--no-color', description: 'no colour, whatever FORCE_COLOR or the terminal say (NO_COLOR does the same)' },
] as const satisfies readonly OptionSpec[];

export type GlobalOptions = OptionsOf<typeof GLOBAL_OPTIONS>;

// loadConfig (src/config/config.ts) names the fields it reads itself, being below cli/: this fails to compile when the two drift.
type FitsLoadConfig<T extends GlobalFlags> = T;
export type CheckedGlobalOptions = FitsLoadConfig<GlobalOptions>;
