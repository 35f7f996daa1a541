import type { DueClaims } from '../claim';
import type { TokenStore } from '../store';
import { postgresDueClaims } from './claim-due';
import { dbError, HEARTBEAT_MS, IDLE_IN_TRANSACTION_MS } from './connection';
import type { PostgresStore } from './index';
import { TOKENS } from './schema';

/**
 * The claims of `refresh --all` on an open PostgreSQL store: its own connection settings
 * (TLS, password, keepalives, timeouts: connection.ts), its documented table, its error
 * mapping (an unreachable server is exit 6), and the same idle bound and heartbeat as its
 * writes. A user row is a candidate while it holds a refresh token and was not moved (the
 * rows the store's partial index on expires_at covers).
 */
export function claimsFor(store: TokenStore, concurrency: number): DueClaims {
  const pg = store as PostgresStore;
  const target = pg.target;
  return postgresDueClaims({
    schema: { table: TOKENS, profile: 'profile', userRows: 'refresh_token IS NOT NULL AND moved_to IS NULL', expiresAt: 'expires_at', updatedAt: 'updated_at' },
    connection: { ...target.config, application_name: `${target.config.application_name ?? 'hh-oauth'} refresh --all` },
    concurrency,
    locate: (profile) => store.locate({ profile, kind: 'user' }),
    idleInTransactionMs: IDLE_IN_TRANSACTION_MS,
    heartbeatMs: HEARTBEAT_MS,
    toStoreError: (err, doing) => {
      const e = dbError(err, target, 'query');
      e.message = `${doing}: ${e.message}`;
      return e;
    },
  });
}
