import type { REFRESH } from '../../cli/hot-commands';
import type { OptionsFor } from '../../cli/spec';
import { loadConfig } from '../../config/config';
import { usageError } from '../../errors';
import { printOutcome } from '../../lifecycle/answers';
import { refreshIfDue } from '../../lifecycle/refresh';

/** Typed from the command's declaration (REFRESH in src/cli/hot-commands.ts). */
export type RefreshOptions = OptionsFor<typeof REFRESH>;

export default async function refresh(opts: RefreshOptions): Promise<void> {
  if (opts.watch) {
    const { default: watch } = await import('./watch');
    return watch(opts);
  }
  if (opts.logFormat !== undefined) throw usageError('--log-format only applies to --watch');
  if (opts.listen !== undefined) throw usageError('--listen only applies to --watch');
  if (opts.all) {
    const { default: refreshAll } = await import('./all');
    return refreshAll(opts);
  }
  if (opts.concurrency !== undefined) throw usageError('--concurrency only applies to --all');
  if (opts.rate !== undefined) throw usageError('--rate only applies to --all (HH_RATE_LIMIT paces every command)');
  printOutcome(await refreshIfDue(loadConfig(opts), { force: opts.force }));
}
