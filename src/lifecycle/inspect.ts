import type { Config } from '../config/config';
import { HhOauthError } from '../errors';
import { isDue } from '../token/expiry';
import { profileErrorState, type ProfileInfo } from '../token/profiles';
import { storeOf, userToken } from './stores';
import type { TokenStore } from '../store/store';

/**
 * One profile as its store holds it, read without changing anything (no mode tightening,
 * no lock, no kept pair settled): `profiles` lists these, `status` shows one for a store
 * that is not the file (the file's own status, with owner and mode, is token/inspect.ts).
 */
export async function inspectStored(store: TokenStore, name: string, now = new Date()): Promise<ProfileInfo> {
  const slot = { profile: name, kind: 'user' as const };
  const entry = { name, tokenFile: store.locate(slot) };
  try {
    const token = userToken(store, slot, await store.read(slot, { inspect: true }));
    if (!token) return { ...entry, state: 'missing' };
    return { ...entry, state: isDue(token.expiresAt, now) ? 'expired-refreshable' : 'valid', obtainedAt: token.obtainedAt, expiresAt: token.expiresAt, legacy: token.legacy };
  } catch (err) {
    if (!(err instanceof HhOauthError)) throw err;
    return { ...entry, state: profileErrorState(err), error: err.message, cause: err };
  }
}

export async function inspectProfileOf(config: Config, now = new Date()): Promise<ProfileInfo> {
  return inspectStored(await storeOf(config), config.profileName(), now);
}
