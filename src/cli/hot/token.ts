import type { TokenOptions } from '../../commands/token';
import { printToken } from '../../lifecycle/answers';
import { loadConfig } from '../../config/config';
import { isDue } from '../../token/expiry';
import { HANDOVER, TO_CLI } from '../hot-args';
import { mayBeTerminal } from '../../output';
import { fileStoreSelected, peekToken } from '../../lifecycle/peek';

/**
 * `token` on the hot path, for `$(hh-oauth token)` in scripts: a valid user token is
 * printed here, with the full command's own function. Everything else is the full
 * command's: a terminal on stdout (it refuses without --show; this check is a superset
 * of isatty that needs no node:tty), --app, an expired token (it refreshes first) and a
 * missing one (a run killed before its rename may have left the pair to put in place).
 */
export default async function token(opts: TokenOptions): Promise<void | typeof HANDOVER | typeof TO_CLI> {
  const config = loadConfig(opts);
  if (!fileStoreSelected(config)) return TO_CLI;
  if (opts.app || mayBeTerminal(1)) return HANDOVER;
  const stored = await peekToken(config);
  if (!stored || isDue(stored.expiresAt)) return HANDOVER;
  printToken(stored.accessToken, stored.expiresAt, opts.header);
}
