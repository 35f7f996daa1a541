import { HhOauthError, configError } from '../errors';
import { readableByOthers, readTrustedFile } from '../system/file-trust';

/**
 * The client secret's files: HH_CLIENT_SECRET_FILE or the systemd credential, read once
 * they are trusted (file-trust.ts), and the check that no file holding the secret is
 * readable by every user (docs/security/settings.md#secrets-in-files).
 */

/** A secret file is a line or two; a bigger one is not the file meant. */
const SECRET_FILE_MAX_BYTES = 64 * 1024;

export interface SecretFile {
  path: string;
  /** How messages name it: "HH_CLIENT_SECRET_FILE", "systemd credential hh-client-secret". */
  what: string;
  /** The credential may be absent; a file named by HH_CLIENT_SECRET_FILE may not. */
  optional: boolean;
}

const octalMode = (mode: number) => `0${(mode & 0o777).toString(8).padStart(3, '0')}`;

/** The warning and the chmod for a file holding the secret that every user may read; undefined when none may. */
export function exposure(path: string, mode: number): { message: string; fix: string } | undefined {
  if (!readableByOthers(mode)) return undefined;
  // Keep a group's read where there was one: a group that may read it (the service's) is a choice.
  const fix = `chmod ${mode & 0o040 ? '0640' : '0600'} ${path}`;
  return { message: `${path} has mode ${octalMode(mode)}: every user on this machine can read the client secret; run \`${fix}\``, fix };
}

/** The secret's first line, with the mode of its file; undefined when an optional file (the credential) is missing. */
export function readSecretFile(file: SecretFile): { secret: string; mode: number } | undefined {
  const read = readTrustedFile(file.path, {
    what: file.what,
    maxBytes: SECRET_FILE_MAX_BYTES,
    optional: file.optional,
    unreadable: (code) =>
      new HhOauthError('config', `cannot read the client secret from ${file.what} ${file.path} (${code})`, {
        suggestion: 'check the path and that this user can read the file',
      }),
  });
  if (!read) return undefined;
  const secret = read.text.split(/\r?\n/)[0]!.trim();
  if (!secret) throw configError(`the first line of ${file.what} ${file.path} is empty`, 'put the client secret on the first line');
  return { secret, mode: read.mode };
}
