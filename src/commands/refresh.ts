import { loadConfig, type GlobalOptions } from '../config';
import { secondsLeft } from '../expiry';
import { result } from '../output';
import { refreshIfDue } from '../refresher';

export interface RefreshOptions extends GlobalOptions {
  force?: boolean;
}

export default async function refresh(opts: RefreshOptions): Promise<void> {
  const outcome = await refreshIfDue(loadConfig(opts), { force: opts.force });
  result({
    status: outcome.status,
    expires_at: outcome.expiresAt.toISOString(),
    seconds_left: Math.max(0, secondsLeft(outcome.expiresAt)),
  });
}
