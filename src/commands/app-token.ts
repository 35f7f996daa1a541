import type { APP_TOKEN } from '../cli/commands';
import type { OptionsFor } from '../cli/spec';
import { parseAppTokenFile, type AppTokenRecord } from '../token/app-token';
import { loadConfig } from '../config/config';
import { configError, HhOauthError, hhDetails, usageError } from '../errors';
import { APP_TOKEN_TOO_EARLY } from '../hh/errors';
import { hhClient } from '../hh/client';
import { log, result } from '../output';
import { clientCredentialsForm } from '../hh/grant-forms';
import { APP_SLOT, storeOf } from '../lifecycle/stores';
import { movedError } from '../store/moved';

/** Typed from the command's declaration (APP_TOKEN in src/cli/commands.ts). */
export type AppTokenOptions = OptionsFor<typeof APP_TOKEN>;

const MIN_INTERVAL_MS = 5 * 60 * 1000;

/**
 * `hh-oauth app-token`: the client_credentials grant, stored in its own file. hh.ru
 * revokes the previous application token when it issues a new one, and issues at
 * most one per 5 minutes, so replacing a stored one takes --rotate.
 */
export default async function appToken(opts: AppTokenOptions): Promise<void> {
  const config = loadConfig(opts);
  const form = clientCredentialsForm(config.require('HH_CLIENT_ID', 'app-token'), config.clientSecret('app-token'));
  const store = await storeOf(config);
  const path = store.locate(APP_SLOT);
  const client = hhClient(config);

  const stored = await store.write(APP_SLOT, config.seconds('HH_LOCK_TIMEOUT'), async (write) => {
    const raw = await write.reread();
    if (raw?.movedTo) throw movedError(path, { movedTo: raw.movedTo });
    // A user's pair there holds the only copy of its refresh token: never replaced by an application token, --rotate or not.
    if ((store.kind === 'file' && [config.tokenFile(), config.defaultTokenFile()].includes(path)) || (raw && holdsUserPair(raw.text))) {
      throw configError(
        `HH_APP_TOKEN_FILE names ${path}, which is a user token file (it holds a refresh token), not the application token's file; nothing was sent to hh.ru`,
        'point HH_APP_TOKEN_FILE at a file of its own, or unset it (the default is app-token.json beside the default token file)',
      );
    }
    let existing: AppTokenRecord | undefined;
    let damaged = false;
    if (raw) {
      try {
        existing = parseAppTokenFile(raw.text, path);
      } catch (err) {
        if (!opts.rotate) throw err;
        damaged = true;
      }
    }
    if (existing && !opts.rotate) {
      throw usageError(
        `an application token is already stored in ${path}${existing.obtainedAt ? ` (obtained ${existing.obtainedAt.toISOString()})` : ''}; a new one would revoke it`,
        'use the stored one (`hh-oauth token --app`), or replace it on purpose with `hh-oauth app-token --rotate`',
      );
    }
    // Set aside before the grant: once hh.ru has answered, the old token is revoked and the
    // new one exists only in memory (and hh.ru issues the next only 5 minutes later), so
    // nothing that can fail may stand between the answer and the rename.
    if (damaged) await write.setAside();
    let obtainedAt = new Date();
    try {
      await write.spend(() => client.appGrant(form), (grant) => {
        obtainedAt = new Date();
        return { ...grant, obtained_at: obtainedAt.toISOString() };
      });
    } catch (err) {
      throw explainTooEarly(err, existing);
    }
    return { obtainedAt, rotated: raw !== null };
  });

  log.info(`stored the application token in ${path}${stored.rotated ? '; the previous one is revoked' : ''}`);
  result({ status: 'stored', app_token_file: path, ...(store.kind === 'file' ? {} : { store: store.describe() }), obtained_at: stored.obtainedAt.toISOString(), rotated: stored.rotated });
}

/** hh.ru's bare "app token refresh too early", turned into what the operator needs to know. */
function explainTooEarly(err: unknown, existing: AppTokenRecord | undefined): unknown {
  // Either shape (RFC or errors[]); after an attempt whose answer was lost, the mapping's own words stand.
  if (!(err instanceof HhOauthError) || err.hhReason !== APP_TOKEN_TOO_EARLY) return err;
  const after = existing?.obtainedAt ? new Date(existing.obtainedAt.getTime() + MIN_INTERVAL_MS) : undefined;
  const retry = after && after.getTime() > Date.now() ? `after ${after.toISOString()}` : 'in 5 minutes';
  return new HhOauthError(
    'rejected',
    'hh.ru refused a new application token (app token refresh too early): it issues at most one per 5 minutes per application, and each new one revokes the previous',
    {
      ...hhDetails(err),
      suggestion: `nothing was revoked, so the application token hh.ru issued last still works${existing ? ` (the stored one, if no other machine asked since)` : ''}; run again ${retry}`,
    },
  );
}

/** Whether the text is a user grant (it has a refresh token), as the user token file holds. */
function holdsUserPair(text: string): boolean {
  try {
    const data: unknown = JSON.parse(text);
    return typeof data === 'object' && data !== null && typeof (data as Record<string, unknown>).refresh_token === 'string';
  } catch {
    return false;
  }
}
