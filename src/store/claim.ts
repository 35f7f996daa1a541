/**
 * `refresh --all` on a store that several hosts share: each run takes the due profiles
 * nobody else holds and skips, without waiting, the ones another run has taken, so that
 * four runs over ten thousand profiles split the work instead of queueing behind each
 * other's locks. A store that can do this offers DueClaims (the PostgreSQL store:
 * src/store/postgres/claim-due.ts); the token file, on one host, does not need it.
 */
export interface Claim {
  /** Lets the profile go (after its refresh, whatever the outcome). */
  release(): Promise<void>;
}

export interface DueClaims {
  /**
   * The profiles worth trying, streamed, each once: the ones due when the run started (with
   * force: every one not written since it started). Called once per run; it fixes that moment.
   */
  candidates(opts: { force?: boolean }): AsyncIterable<{ name: string; location: string }>;
  /**
   * Takes the profile without waiting. `busy`: another run holds it. `done`: it is no longer
   * a candidate (another run refreshed it since the listing): reported as not due.
   */
  claim(profile: string): Promise<Claim | 'busy' | 'done'>;
  close(): Promise<void>;
}

// Once per process: see fileStoreModule in store.ts.
let claimsLoaded: Promise<typeof import('./postgres/claims')> | undefined;

/** The store's claims when it is one several hosts share (PostgreSQL); undefined for the token file. */
export async function dueClaimsOf(store: import('./store').TokenStore, concurrency: number): Promise<DueClaims | undefined> {
  if (store.kind !== 'postgres') return undefined;
  return (await (claimsLoaded ??= import('./postgres/claims'))).claimsFor(store, concurrency);
}
