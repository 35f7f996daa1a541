import type { RefreshOptions } from '../../commands/refresh/index';
import { printOutcome } from '../../lifecycle/answers';
import { loadConfig } from '../../config/config';
import { isDue } from '../../token/expiry';
import { HANDOVER, TO_CLI } from '../hot-args';
import { fileStoreSelected, notDue, peekToken } from '../../lifecycle/peek';

/**
 * `refresh` on the hot path. Most timer runs find the access token valid, and that
 * answer needs only the token file: it is given here, with the full command's own
 * functions. Anything more (--force, a due or missing token) is the full command's, through
 * commander: spending a refresh token needs the lock, HTTP and the careful write, none
 * of which the hot bundle carries. It re-reads the file under the lock anyway.
 */
export default async function refresh(opts: RefreshOptions): Promise<void | typeof HANDOVER | typeof TO_CLI> {
  const config = loadConfig(opts);
  if (!fileStoreSelected(config)) return TO_CLI;
  if (opts.force) return HANDOVER;
  const token = await peekToken(config);
  if (!token || isDue(token.expiresAt)) return HANDOVER;
  printOutcome(notDue(token));
}
