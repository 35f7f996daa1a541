import { chmod, chown, lstat, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DEFAULT_TOKEN_FILE } from '../config/config';
import { errnoCode } from '../errors';
import { log } from '../output';
import { groupId, lookupInFile, primaryGroupInFile } from '../system/accounts';

/** StateDirectory=hh-token: where the unit's token file lives. */
export const STATE_DIRECTORY = dirname(DEFAULT_TOKEN_FILE);

/**
 * Makes the unit's state directory now, as systemd would on the service's first start: the
 * service user's, in the token group (or the user's own), 0750 (0700 without a group). A
 * root `login` before that first start then writes into the service's directory, and its
 * token file is the service user's, 0640 in the group, at once (token/ownership.ts), instead
 * of root's 0600 until the first refresh. One that exists is left alone: systemd gives it to
 * User=/Group= itself at the next start.
 */
export async function ensureStateDirectory(user: string, tokenGroup: string | undefined, path = STATE_DIRECTORY): Promise<'created' | 'exists'> {
  if (await lstat(path).catch(() => undefined)) return 'exists';
  const uid = lookupInFile('passwd', user);
  const gid = tokenGroup ? groupId(tokenGroup) : primaryGroupInFile(user);
  if (uid === undefined || gid === undefined) return 'exists';
  const mode = tokenGroup ? 0o750 : 0o700;
  try {
    await mkdir(path, { mode });
    await chown(path, uid, gid);
    await chmod(path, mode);
  } catch (err) {
    // Not worth failing the install: systemd makes it at the first start, and root's login then hands it over.
    log.warn(`cannot create the state directory ${path} (${errnoCode(err) ?? 'error'}); systemd creates it when the service first starts`);
    return 'exists';
  }
  log.info(`created the state directory ${path} (${user}:${tokenGroup ?? user}, 0${mode.toString(8)})`);
  return 'created';
}
