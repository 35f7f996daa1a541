import { toHhOauthError } from './errors';
import { parseHotArgs, type HotInvocation } from './hot-path';
import { prepareColours, reportError, setJsonMode, write } from './output';
import { VERSION } from './version';

/**
 * The process entry (bin/hh-oauth imports its bundle). The commands that timers and
 * scripts run in loops start here without commander; every other argv, including
 * help and every usage error, goes to cli.ts, whose commander program is built from
 * the same table (src/hot-path.ts). This file is bundled on its own, without shared
 * chunks, so a hot run reads one file of our code (see README, Performance).
 */
const hot = parseHotArgs(process.argv.slice(2));
if (hot) await runHot(hot);
else await import('./cli.js');

async function runHot(invocation: HotInvocation): Promise<void> {
  if (invocation.kind === 'command') setJsonMode(Boolean(invocation.opts.json));
  try {
    await prepareColours();
    if (invocation.kind === 'version') write(1, `${VERSION}\n`);
    else await (await invocation.command.load()).default(invocation.opts);
  } catch (err) {
    const error = toHhOauthError(err);
    reportError(error);
    process.exitCode = error.exitCode;
  }
}
