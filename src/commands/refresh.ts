import { loadConfig, type GlobalOptions } from '../config';
import { secondsLeft } from '../expiry';
import { usageError } from '../errors';
import { result } from '../output';
import { refreshIfDue, type RefreshOutcome } from '../refresher';

export interface RefreshOptions extends GlobalOptions {
  force?: boolean;
  all?: boolean;
  concurrency?: string;
}

export default async function refresh(opts: RefreshOptions): Promise<void> {
  if (opts.all) {
    const { default: refreshAll } = await import('./refresh-all');
    return refreshAll(opts);
  }
  if (opts.concurrency !== undefined) throw usageError('--concurrency only applies to --all');
  printOutcome(await refreshIfDue(loadConfig(opts), { force: opts.force }));
}

/** Shared with the hot path (src/hot/refresh.ts), which answers "not due" itself. */
export function printOutcome(outcome: RefreshOutcome): void {
  result({
    status: outcome.status,
    expires_at: outcome.expiresAt.toISOString(),
    seconds_left: Math.max(0, secondsLeft(outcome.expiresAt)),
  });
}
