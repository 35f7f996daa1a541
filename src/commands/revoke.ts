import type { REVOKE } from '../cli/commands';
import type { OptionsFor } from '../cli/spec';
import { loadConfig } from '../config/config';
import { HhOauthError, usageError } from '../errors';
import { hhClient } from '../hh/client';
import { log, result } from '../output';
import { loadToken } from '../lifecycle/refresh';
import { withStoredToken } from '../lifecycle/api-call';
import { TOKEN_REVOKED } from '../hh/errors';
import { readStdinLine } from '../stdin';
import { storeOf, userSlot } from '../lifecycle/stores';

/** Typed from the command's declaration (REVOKE in src/cli/commands.ts). */
export type RevokeOptions = OptionsFor<typeof REVOKE>;

/**
 * `hh-oauth revoke`: DELETE /oauth/token with the stored access token (which kills
 * its refresh token too), then removes the token file, or renames it with --keep.
 */
export default async function revoke(opts: RevokeOptions): Promise<void> {
  const config = loadConfig(opts);
  const store = await storeOf(config);
  const slot = userSlot(config);
  const path = store.locate(slot);
  // Another store adds where it is (fields are only added; token_file names the slot).
  const where = store.kind === 'file' ? {} : { store: store.describe() };
  // No token file is exit 4 before anything is asked.
  await loadToken(config);

  if (!opts.yes) {
    if (!process.stdin.isTTY) {
      throw usageError('revoke asks for confirmation, and there is no terminal to ask on', 'pass --yes to revoke from a script');
    }
    const answer = await readStdinLine(`Revoke the hh.ru token in ${path} and ${opts.keep ? 'rename' : 'delete'} the file? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) {
      log.info('cancelled: nothing was revoked');
      result({ status: 'cancelled', token_file: path, ...where });
      return;
    }
  }

  const client = hhClient(config);
  // Read after the question, not before: a timer may have stored a new pair meanwhile, and
  // that is the one to revoke. An expired access token cannot revoke anything, yet its
  // refresh token still lives: it is refreshed first (also when hh.ru says token_expired
  // while the file says valid), and the new pair is revoked.
  const { result: already, token } = await withStoredToken(config, client, async (t) => {
    try {
      await client.api('DELETE', '/oauth/token', t.accessToken);
      return false;
    } catch (err) {
      if (!(err instanceof HhOauthError) || err.hhReason !== TOKEN_REVOKED) throw err;
      log.warn('hh.ru says this token was already revoked');
      return true;
    }
  });

  const outcome = await store.discard(slot, config.seconds('HH_LOCK_TIMEOUT'), token.refreshToken, { keep: opts.keep });
  const keptAs = outcome.action === 'kept' ? outcome.keptAs : null;
  if (outcome.action === 'replaced') log.warn(`${path} now holds a newer token (stored while revoking); left it in place`);
  else if (outcome.action === 'missing') log.warn(`${path} was removed meanwhile`);
  log.info(`${already ? 'was already revoked' : 'revoked at hh.ru'}; ${keptAs ? `the file is kept as ${keptAs}` : outcome.action === 'removed' ? `removed ${path}` : 'the token file was not changed'}`);
  result({ status: already ? 'already_revoked' : 'revoked', token_file: path, ...where, file: outcome.action, kept_as: keptAs });
}
