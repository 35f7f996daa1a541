import { loadConfig, type GlobalOptions } from '../config';
import { secondsLeft } from '../expiry';
import { result } from '../output';
import { refreshIfDue, type RefreshOutcome } from '../refresher';

export interface RefreshOptions extends GlobalOptions {
  force?: boolean;
}

export default async function refresh(opts: RefreshOptions): Promise<void> {
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
