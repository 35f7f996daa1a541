import type { Config } from '../config/config';
import type { ProfileInfo, ProfileState } from '../token/profiles';
import { inspectProfileOf, inspectStored } from './inspect';
import { storeOf } from './stores';

/**
 * What the worker and the metrics read of each profile: its state and dates, never its
 * tokens. The one place they reach the store (src/store/), so they work on either store.
 */
export interface TokenState {
  name: string;
  /** Where it lives: a path (the file store) or `DSN-without-password#profile`, for messages only. */
  location: string;
  state: ProfileState;
  obtainedAt?: Date;
  expiresAt?: Date;
  /** Why it could not be read (corrupt, unreadable); no token in it. */
  problem?: string;
  /** Changes whenever the content does (a login, a refresh elsewhere, a repaired file). */
  fingerprint: string;
}

/** Every profile (as `refresh --all` sees them), streamed: 10,000 profiles cost one at a time. */
export async function* tokenStates(config: Config, now = new Date()): AsyncGenerator<TokenState> {
  const store = await storeOf(config);
  for await (const entry of store.list()) yield stateOf(await inspectStored(store, entry.name, now));
}

/** The selected profile alone (HH_PROFILE / --profile), missing or not. */
export async function selectedTokenState(config: Config, now = new Date()): Promise<TokenState> {
  return stateOf(await inspectProfileOf(config, now));
}

function stateOf(info: ProfileInfo): TokenState {
  // valid and expired-refreshable are one content at two moments: time alone changes nothing here.
  const kind = info.state === 'valid' || info.state === 'expired-refreshable' ? 'token' : info.state;
  const fingerprint = [kind, info.obtainedAt?.getTime() ?? '', info.expiresAt?.getTime() ?? '', info.error ?? ''].join('|');
  return { name: info.name, location: info.tokenFile, state: info.state, obtainedAt: info.obtainedAt, expiresAt: info.expiresAt, problem: info.error, fingerprint };
}
