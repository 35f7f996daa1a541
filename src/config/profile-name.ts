/**
 * Profile names become file names (`<token dir>/profiles/NAME.json`), so the rule is
 * strict enough that no name can leave that directory, hide a file or clash with the
 * lock, temp and quarantine files kept beside it: no slash, no leading dot, lower case.
 */
export const PROFILE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The name of the existing single token file; `--profile default` selects it too. */
export const DEFAULT_PROFILE = 'default';

export const PROFILE_RULE = '1–64 characters of a-z, 0-9, ".", "_", "-", starting with a letter or digit';

/** Why a name is refused, or undefined when it is fine. Never echoes more than the name's shape. */
export function profileNameProblem(name: string): string | undefined {
  if (PROFILE_NAME.test(name)) return undefined;
  if (name === '') return 'it is empty';
  if (name.length > 64) return `it is ${name.length} characters long (at most 64)`;
  if (/[/\\]/.test(name)) return 'it contains a path separator';
  if (/^[._-]/.test(name)) return 'it must start with a letter or digit';
  if (/[A-Z]/.test(name)) return 'it contains upper-case letters';
  return 'it contains characters other than a-z, 0-9, ".", "_", "-"';
}

/** A profile file's name back to its profile, or undefined for anything else in the directory. */
export function profileFromFileName(file: string): string | undefined {
  if (!file.endsWith('.json')) return undefined;
  const name = file.slice(0, -'.json'.length);
  return PROFILE_NAME.test(name) && name !== DEFAULT_PROFILE ? name : undefined;
}

/**
 * The one order of profiles wherever they are listed (`profiles`, `refresh --all --json`):
 * the default first, then by name. A consistent comparator (0 for the same name), so that
 * sort() gives the same order whatever order the directory listed them in.
 */
export function compareProfileNames(a: string, b: string): number {
  if (a === b) return 0;
  if (a === DEFAULT_PROFILE) return -1;
  if (b === DEFAULT_PROFILE) return 1;
  return a < b ? -1 : 1;
}
