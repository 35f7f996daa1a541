import type { HotName, HotOptions } from '../hot-commands';
import { runReported } from '../run-reported';

/**
 * The full implementations of the hot commands, bundled on their own as CommonJS
 * (dist/hot-full.cjs) for a hot runner's HANDOVER: a due refresh takes the lock, spends
 * the refresh token and writes the file here, without commander and without starting
 * Node's ES module loader, each of which costs more than the rest of the start-up. The
 * bundle has its own copies of the shared modules (output, errors, config…): main.cjs
 * hands it the options it parsed and steps aside, so the two never share state.
 */
// A hot command takes no positional arguments (parseHotArgs refuses a declaration with any).
const COMMANDS: { [N in HotName]: () => Promise<{ default: (opts: HotOptions[N]) => Promise<void> }> } = {
  refresh: () => import('../../commands/refresh/index'),
  token: () => import('../../commands/token'),
};

export function runFull<N extends HotName>(name: N, opts: HotOptions[N]): Promise<void> {
  return runReported(Boolean(opts.json), async () => (await COMMANDS[name]()).default(opts));
}
