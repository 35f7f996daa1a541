import { HANDOVER, TO_CLI, parseHotArgs, type HotInvocation, type HotRunner } from './cli/hot-args';
import type { HotName, HotOptions } from './cli/hot-commands';
import refresh from './cli/hot/refresh';
import token from './cli/hot/token';
import { write } from './output';
import { runReported } from './cli/run-reported';
import { VERSION } from './version';
import { IN_SEA, loadSeaBundle } from './sea/sea';

/**
 * The process entry (bin/hh-oauth requires its bundle, dist/main.cjs). The commands that
 * timers and scripts run in loops are answered here when the answer is cheap (the token
 * is valid), by a runner in src/cli/hot/; a runner that needs more returns HANDOVER and the
 * full command runs from dist/hot-full.cjs. Every other argv, including help and every
 * usage error, goes to dist/cli.js (src/cli/entry.ts), whose commander program is built
 * from the same declarations (src/cli/hot-commands.ts). This file and hot-full are
 * CommonJS: Node's ES module loader alone costs more start-up than the whole hot path
 * (docs/performance.md).
 */
// Imported statically: the bundle then evaluates each module once, in line, instead of
// through the lazy-initialisation wrappers that a dynamic import() would need.
const RUNNERS: { [N in HotName]: HotRunner<N> } = {
  refresh,
  token,
};

const hot = parseHotArgs(process.argv.slice(2));
if (hot) void runHot(hot);
else runCli();

function runCli(): void {
  // The standalone binary carries the other two bundles as embedded files (src/sea/sea.ts).
  if (IN_SEA) void loadSeaBundle<typeof import('./cli/run-cli')>('cli.cjs').runCli(process.argv);
  else void import('./cli/entry.js');
}

async function runHot(invocation: HotInvocation): Promise<void> {
  if (invocation.kind === 'version') return runReported(false, async () => write(1, `${VERSION}\n`));
  await runCommand(invocation.name, invocation.opts);
}

async function runCommand<N extends HotName>(name: N, opts: HotOptions[N]): Promise<void> {
  let next: unknown;
  await runReported(Boolean(opts.json), async () => {
    next = await RUNNERS[name](opts);
  });
  // Another store than the token file: the whole command from cli.js (its store chunk).
  if (next === TO_CLI) return runCli();
  if (next === HANDOVER) {
    type Full = typeof import('./cli/hot/full');
    const full = IN_SEA ? loadSeaBundle<Full>('hot-full.cjs') : (require('./hot-full.cjs') as Full);
    await full.runFull(name, opts);
  }
}
