import type { Config } from '../config/config';
import { inspectProfile, listProfiles, type ProfileState } from '../token/profiles';

/**
 * What the worker and the metrics read of each profile: its state and dates, never its
 * tokens. The one place they reach the store, so that the store interface (src/store/)
 * replaces these two functions' bodies and nothing above them.
 */
export interface TokenState {
  name: string;
  /** Where it lives: a path (the file store), for messages only. */
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
  for await (const entry of listProfiles(config)) yield stateOf(await inspectProfile(entry, now));
}

/** The selected profile alone (HH_PROFILE / --profile), missing or not. */
export async function selectedTokenState(config: Config, now = new Date()): Promise<TokenState> {
  return stateOf(await inspectProfile({ name: config.profileName(), tokenFile: config.tokenFile() }, now));
}

function stateOf(info: Awaited<ReturnType<typeof inspectProfile>>): TokenState {
  // valid and expired-refreshable are one content at two moments: time alone changes nothing here.
  const kind = info.state === 'valid' || info.state === 'expired-refreshable' ? 'token' : info.state;
  const fingerprint = [kind, info.obtainedAt?.getTime() ?? '', info.expiresAt?.getTime() ?? '', info.error ?? ''].join('|');
  return { name: info.name, location: info.tokenFile, state: info.state, obtainedAt: info.obtainedAt, expiresAt: info.expiresAt, problem: info.error, fingerprint };
}
