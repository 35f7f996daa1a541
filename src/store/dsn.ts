/**
 * A DSN as it may be shown: without its password (the connection password follows the
 * client secret's rules: never printed). Kept free of imports, for the hot path.
 */
export function withoutPassword(dsn: string): string {
  try {
    const url = new URL(dsn);
    // ?password= is a password too (libpq's, and the store's dsn.ts, read it).
    if (url.password === '' && !url.searchParams.has('password')) return dsn;
    url.password = '';
    if (url.searchParams.has('password')) url.searchParams.set('password', 'REDACTED');
    return url.toString();
  } catch {
    // Not a URL we can parse: show only the scheme, the rest may hold the password.
    return `${dsn.split('://')[0]}://…`;
  }
}

/** True when the DSN carries a password of its own (refused where it would be in argv or a saved file). */
export function hasPassword(dsn: string): boolean {
  try {
    const url = new URL(dsn);
    return url.password !== '' || url.searchParams.has('password');
  } catch {
    return false;
  }
}

/** The setting's value that selects the PostgreSQL store. */
export function isPostgresDsn(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}
