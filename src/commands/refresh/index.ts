import { loadConfig, type GlobalOptions } from '../../config/config';
import { usageError } from '../../errors';
import { printOutcome } from '../../lifecycle/answers';
import { refreshIfDue } from '../../lifecycle/refresh';

export interface RefreshOptions extends GlobalOptions {
  force?: boolean;
  all?: boolean;
  concurrency?: string;
}

export default async function refresh(opts: RefreshOptions): Promise<void> {
  if (opts.all) {
    const { default: refreshAll } = await import('./all');
    return refreshAll(opts);
  }
  if (opts.concurrency !== undefined) throw usageError('--concurrency only applies to --all');
  printOutcome(await refreshIfDue(loadConfig(opts), { force: opts.force }));
}
