import { chmodSync, chownSync, mkdirSync, statSync } from 'node:fs';
import { lookupInFile } from '../system/accounts';
import { log } from '../output';
import type { UnitSettings } from './plan';

/** The unit's StateDirectory=hh-token, where the token file lives by default. */
export const STATE_DIRECTORY = '/var/lib/hh-token';

/** The mode the unit's StateDirectoryMode= gives it: the token group may enter it to read token.json. */
export const stateMode = (s: Pick<UnitSettings, 'tokenGroup'>) => (s.tokenGroup ? 0o750 : 0o700);

/**
 * Creates the state directory as systemd would on the service's first start: the
 * service user's, in the token group, with the unit's mode. Done at install time
 * because root's first `login` comes before that start, and root's writes there
 * take their owner and group from this directory (docs/security/token-files.md). A
 * directory that already belongs to someone else is left alone, with the fix named.
 */
export function prepareStateDirectory(s: UnitSettings, dir = STATE_DIRECTORY): void {
  const uid = lookupInFile('passwd', s.user);
  const gid = lookupInFile('group', s.tokenGroup ?? s.user);
  if (uid === undefined || gid === undefined) {
    return log.warn(`cannot name the owner of ${dir} (${s.user}:${s.tokenGroup ?? s.user}); the service's first start creates it`);
  }
  const mode = stateMode(s);
  const found = statSync(dir, { throwIfNoEntry: false });
  if (!found) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chownSync(dir, uid, gid);
    chmodSync(dir, mode);
    return log.info(`created ${dir} (${s.user}:${s.tokenGroup ?? s.user}, ${mode.toString(8).padStart(4, '0')})`);
  }
  if (!found.isDirectory()) return log.warn(`${dir} is not a directory; the service cannot start until it is moved away`);
  if (found.uid !== uid) {
    return log.warn(
      `${dir} belongs to uid ${found.uid}, not ${s.user}: the service's first start hands it over (systemd chowns it); until then files root writes there stay root's. To hand it over now: chown -R ${s.user}:${s.tokenGroup ?? s.user} ${dir}`,
    );
  }
  if (found.gid !== gid || (found.mode & 0o7777) !== mode) {
    chownSync(dir, uid, gid);
    chmodSync(dir, mode);
    log.info(`set ${dir} to ${s.user}:${s.tokenGroup ?? s.user}, ${mode.toString(8).padStart(4, '0')}`);
  }
}
