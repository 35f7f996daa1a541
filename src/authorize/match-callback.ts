import type { CallbackInput } from './callback-input';
import { reauthorizeError, usageError } from '../errors';
import { log } from '../output';
import { findPending, newestPending, type PendingAuth } from './pending-authorizations';

/**
 * Which authorization started by `authorize-url` a pasted code belongs to: the login
 * CSRF check. hh.ru returns the state in every redirect of an authorization that had
 * one, and authorize-url always sends one, so a callback URL without its state did not
 * come from here: its code may be an attacker's, which would store the attacker's
 * account. A bare code was typed on purpose and carries no state; it is taken on the
 * operator's word, with a warning when an authorization is pending.
 */
export async function authorizationFor(callback: CallbackInput, stateOption: string | undefined): Promise<PendingAuth | undefined> {
  if (callback.source === 'url' && callback.state === undefined) throw stateless(await newestPending());
  if (stateOption !== undefined && callback.state !== undefined && stateOption !== callback.state) {
    throw usageError('--state differs from the state in the callback URL');
  }
  const state = callback.state ?? stateOption;
  if (state === undefined) {
    const pending = await newestPending();
    if (pending) {
      const profile = pending.profile === undefined ? '' : ` and profile (${pending.profile})`;
      log.warn(`a bare code carries no state, so it cannot be checked against the authorization started ${startedAt(pending)}; it is exchanged with that authorization's redirect URI${profile}. Paste the whole callback URL, or pass --state, to have it checked`);
    }
    return pending;
  }
  const pending = await findPending(state);
  if (!pending) {
    throw reauthorizeError('the state is unknown or older than 15 minutes (possible forgery, or a stale link); nothing was sent to hh.ru', 'run `hh-oauth authorize-url` again and use the new URL');
  }
  if (pending.used_at !== undefined) {
    throw reauthorizeError(`this authorization was already used (its code works once, and was spent ${startedAt({ created_at: pending.used_at })}); nothing was sent to hh.ru`, 'run `hh-oauth authorize-url` again and use the new URL');
  }
  return pending;
}

function stateless(pending: PendingAuth | undefined) {
  const from = pending ? `the authorization started ${startedAt(pending)} has one` : 'every authorization `hh-oauth authorize-url` starts has one';
  return reauthorizeError(
    `the callback URL has no state, yet ${from} and hh.ru always sends it back: this URL did not come from here (possible login forgery: its code would store someone else's account); nothing was sent to hh.ru`,
    'open the URL `hh-oauth authorize-url` printed and paste the address you land on; if you built the authorization URL yourself without a state, paste the bare code alone',
  );
}

/** "at 14:03:12 UTC": enough to recognise one's own authorization, and no secret. */
function startedAt(p: Pick<PendingAuth, 'created_at'>): string {
  return `at ${p.created_at.slice(11, 19)} UTC`;
}
