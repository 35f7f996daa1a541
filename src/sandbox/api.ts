import type { IncomingHttpHeaders } from 'node:http';
import { apiError, managerAccountBlocked, managerAccountNotFound, oauth } from './hh-errors';
import { accountRef, BLOCKED_ACCOUNT, EMPLOYER_ACCOUNTS, findAccount, managerAccountsBody, meBody, type ManagerAccount, type Principal } from './personas';
import type { AppToken, SandboxState, UserPair } from './state';
import type { Reply } from './types';

type Caller = { principal: Principal; pair?: UserPair; app?: AppToken; account?: ManagerAccount };

/** The bearer token a request carries, when it has the shape of one. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  return /^Bearer +([A-Za-z0-9]+) *$/.exec(headers.authorization ?? '')?.[1];
}

/** The bearer check every API route shares; returns a Reply when the call must be refused. */
function authenticate(store: SandboxState, headers: IncomingHttpHeaders, now: number): Caller | Reply {
  const token = bearerToken(headers);
  if (token === undefined) return oauth('bad_authorization');

  let caller: Caller;
  const pair = store.pairsByAccess.get(token);
  const app = store.appTokens.get(token);
  if (pair) {
    if (pair.state !== 'active') return oauth('token_revoked');
    if (now >= pair.expiresAt) return oauth('token_expired');
    caller = { principal: { kind: 'user', persona: pair.persona }, pair };
  } else if (app) {
    if (!app.active) return oauth('token_revoked');
    caller = { principal: { kind: 'application' }, app };
  } else {
    return oauth('bad_authorization');
  }

  const header = headers['x-manager-account-id'];
  const chosen = Array.isArray(header) ? header.join(', ') : header;
  if (chosen === undefined) return caller;
  // Only an employer's manager has working accounts; any other token names none of its own.
  const isManager = caller.principal.kind === 'user' && caller.principal.persona === 'employer';
  const account = isManager ? findAccount(chosen) : undefined;
  if (account) return { ...caller, account };
  if (isManager && chosen === BLOCKED_ACCOUNT.id) return managerAccountBlocked(EMPLOYER_ACCOUNTS.map(accountRef));
  return managerAccountNotFound();
}

const isReply = (x: Caller | Reply): x is Reply => 'status' in x;

export function me(store: SandboxState, headers: IncomingHttpHeaders, now: number): Reply {
  store.stats.meCalls++;
  const caller = authenticate(store, headers, now);
  if (isReply(caller)) return caller;
  return { status: 200, body: meBody(caller.principal, caller.account, store.config.apiUrl) };
}

export function managerAccounts(store: SandboxState, headers: IncomingHttpHeaders, now: number): Reply {
  const caller = authenticate(store, headers, now);
  if (isReply(caller)) return caller;
  if (caller.principal.kind === 'application') return oauth('user_auth_expected');
  // An applicant or an integration has no working accounts: the plain 403 the managers' docs promise.
  if (caller.principal.persona !== 'employer') return apiError(403, { type: 'forbidden' });
  return { status: 200, body: managerAccountsBody(caller.account) };
}

/**
 * DELETE /oauth/token: kills the access token and its pair's refresh token. hh.ru revokes
 * live user tokens only: an application token is refused ("the request is not made with a
 * user's authorization"), an expired one gets token_expired like any other call.
 */
export function revoke(store: SandboxState, headers: IncomingHttpHeaders, now: number): Reply {
  const caller = authenticate(store, headers, now);
  if (isReply(caller)) return caller;
  if (!caller.pair) return oauth('user_auth_expected');
  caller.pair.state = 'revoked';
  store.stats.revoked++;
  return { status: 204 };
}
