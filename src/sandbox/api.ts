import type { IncomingHttpHeaders } from 'node:http';
import { newRequestId } from './secrets';
import type { AppToken, SandboxState, UserPair } from './state';
import type { Reply } from './types';
import { isManagerAccount, managerAccountsBody, meBody, type Principal } from './users';

export function apiError(status: number, type: string, value?: string, extra: Record<string, string> = {}): Reply {
  const error = value === undefined ? { type } : { type, value };
  return { status, body: { errors: [error], ...extra, request_id: newRequestId() } };
}

const badAuthorization = (): Reply => apiError(403, 'oauth', 'bad_authorization');

type Caller = { principal: Principal; pair?: UserPair; app?: AppToken; managerAccountId?: string };

/** The bearer check every API route shares; returns a Reply when the call must be refused. */
function authenticate(sandbox: SandboxState, headers: IncomingHttpHeaders, now: number): Caller | Reply {
  const match = /^Bearer +([A-Za-z0-9]+) *$/.exec(headers.authorization ?? '');
  const token = match?.[1];
  if (token === undefined) return badAuthorization();

  let caller: Caller;
  const pair = sandbox.pairsByAccess.get(token);
  const app = sandbox.appTokens.get(token);
  if (pair) {
    if (pair.state !== 'active') return apiError(403, 'oauth', 'token_revoked');
    if (now >= pair.expiresAt) return apiError(403, 'oauth', 'token_expired', { oauth_error: 'token-expired' });
    caller = { principal: { kind: 'user', user: pair.user }, pair };
  } else if (app) {
    if (!app.active) return apiError(403, 'oauth', 'token_revoked');
    caller = { principal: { kind: 'application' }, app };
  } else {
    return badAuthorization();
  }

  const header = headers['x-manager-account-id'];
  const chosen = Array.isArray(header) ? header.join(', ') : header;
  if (chosen !== undefined) {
    // Only an employer has manager accounts; naming one as anybody else is refused the same way.
    const isEmployer = caller.principal.kind === 'user' && caller.principal.user === 'employer';
    if (!isEmployer || !isManagerAccount(chosen)) {
      return apiError(403, 'manager_accounts', 'used_manager_account_forbidden');
    }
    caller.managerAccountId = chosen;
  }
  return caller;
}

const isReply = (x: Caller | Reply): x is Reply => 'status' in x;

export function me(sandbox: SandboxState, headers: IncomingHttpHeaders, now: number): Reply {
  sandbox.stats.meCalls++;
  const caller = authenticate(sandbox, headers, now);
  if (isReply(caller)) return caller;
  return { status: 200, body: meBody(caller.principal, caller.managerAccountId) };
}

export function managerAccounts(sandbox: SandboxState, headers: IncomingHttpHeaders, now: number): Reply {
  const caller = authenticate(sandbox, headers, now);
  if (isReply(caller)) return caller;
  if (caller.principal.kind !== 'user' || caller.principal.user !== 'employer') {
    return apiError(403, 'manager_accounts', 'not_employer');
  }
  return { status: 200, body: managerAccountsBody() };
}

/** DELETE /oauth/token: kills the access token and, for a user, the refresh token of its pair. */
export function revoke(sandbox: SandboxState, headers: IncomingHttpHeaders, now: number): Reply {
  const caller = authenticate(sandbox, headers, now);
  if (isReply(caller)) return caller;
  if (caller.pair) caller.pair.state = 'revoked';
  if (caller.app) caller.app.active = false;
  sandbox.stats.revoked++;
  return { status: 204 };
}
