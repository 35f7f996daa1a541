/**
 * A DSN as it may be shown: without its password (the connection password follows the
 * client secret's rules: never printed). Kept free of imports, for the hot path.
 */
export function withoutPassword(dsn: string): string {
  try {
    const url = new URL(dsn);
    if (url.password === '') return dsn;
    url.password = '';
    return url.toString();
  } catch {
    // Not a URL we can parse: show only the scheme, the rest may hold the password.
    return `${dsn.split('://')[0]}://…`;
  }
}

/** True when the DSN carries a password of its own (refused where it would be in argv or a saved file). */
export function hasPassword(dsn: string): boolean {
  try {
    return new URL(dsn).password !== '';
  } catch {
    return false;
  }
}

/** The setting's value that selects the PostgreSQL store. */
export function isPostgresDsn(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}
