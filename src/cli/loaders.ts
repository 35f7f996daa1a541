import type { COMMANDS } from './commands';
import type { CommandSpec, RunnerOf } from './spec';

/**
 * Which function runs each command, imported only when that command runs: a command
 * pays at start-up only for what it uses (refresh never loads conf, open or execa).
 * Keyed by the command's path in the table ("config set"); the compiler checks that
 * every command of the table has one, and that each function takes exactly the
 * arguments and options its declaration gives.
 */
type PathsOf<S extends CommandSpec, Prefix extends string = ''> = S extends { subcommands: readonly (infer Sub extends CommandSpec)[] }
  ? PathsOf<Sub, `${Prefix}${S['name']} `>
  : [`${Prefix}${S['name']}`, S];
type Leaves = PathsOf<(typeof COMMANDS)[number]>;
export type CommandPath = Leaves[0];

export type Loaders = { [L in Leaves as L[0]]: () => Promise<RunnerOf<L[1]>> };

export const LOADERS: Loaders = {
  'authorize-url': () => import('../commands/authorize-url').then((m) => m.default),
  exchange: () => import('../commands/exchange').then((m) => m.default),
  login: () => import('../commands/login').then((m) => m.default),
  refresh: () => import('../commands/refresh/index').then((m) => m.default),
  whoami: () => import('../commands/whoami').then((m) => m.default),
  'config set': () => import('../commands/config').then((m) => m.configSet),
  'config get': () => import('../commands/config').then((m) => m.configGet),
  'config unset': () => import('../commands/config').then((m) => m.configUnset),
  'config list': () => import('../commands/config').then((m) => m.configList),
  doctor: () => import('../commands/doctor').then((m) => m.default),
  status: () => import('../commands/status').then((m) => m.default),
  token: () => import('../commands/token').then((m) => m.default),
  revoke: () => import('../commands/revoke').then((m) => m.default),
  'app-token': () => import('../commands/app-token').then((m) => m.default),
  'install-units': () => import('../commands/install-units').then((m) => m.default),
  'uninstall-units': () => import('../commands/uninstall-units').then((m) => m.default),
  'profiles list': () => import('../commands/profiles').then((m) => m.default),
  'profiles set': () => import('../commands/profile-settings').then((m) => m.set),
  'profiles unset': () => import('../commands/profile-settings').then((m) => m.unset),
  'store init': () => import('../commands/store').then((m) => m.init),
  'store copy': () => import('../commands/store').then((m) => m.copy),
  sandbox: () => import('../commands/sandbox').then((m) => m.default),
  completion: () => import('../commands/completion').then((m) => m.default),
};
