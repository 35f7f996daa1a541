/**
 * What to tell the operator when a file operation on the token file fails, by errno code.
 * A hint names what to fix, never what happened at hh.ru: the message around it says that.
 */
export function accessHint(code: string | undefined): string {
  if (code === 'EACCES' || code === 'EPERM') return 'run as the user that owns the token file (e.g. `sudo -u hh-oauth hh-oauth …`), or fix its permissions';
  if (code === 'EISDIR') return 'a directory stands where the token file should be; move it away or set HH_TOKEN_FILE';
  return 'check HH_TOKEN_FILE and the file system it lives on';
}

/** For a failure before anything was sent: a full disk says so. */
export function writeHint(code: string | undefined): string {
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'the disk holding the token file is full; free some space and run again (nothing was sent to hh.ru)';
  return causeHint(code);
}

/** For a rename over the token file that failed. */
export function renameHint(code: string): string {
  if (code === 'EPERM') return 'the token file may be immutable (`lsattr`; `chattr -i` it) or its directory may not allow it';
  if (code === 'EBUSY') return 'the token file is a mount point; mount its directory instead';
  return causeHint(code);
}

/** What to fix, without claiming anything about hh.ru. */
export function causeHint(code: string | undefined): string {
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'the disk holding the token file is full; free some space';
  if (code === 'EROFS') return 'the token file is on a read-only filesystem; remount it read-write or point HH_TOKEN_FILE elsewhere';
  return accessHint(code);
}
