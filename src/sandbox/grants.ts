import { badArgument, oauthError } from './hh-errors';
import type { SandboxState } from './state';
import type { Reply } from './types';

const NO_STORE = { 'cache-control': 'no-store' };

/**
 * POST /token and POST /oauth/token: the form is already parsed, the content type already checked.
 * Every refusal is one hh.ru documents. Where hh.ru documents no answer for a caller's slip (a
 * repeated or an extra field, which the specification's request schemas forbid), the sandbox
 * still refuses, so that such a bug cannot pass a test, with the general `bad_argument` error.
 */
export function tokenGrant(store: SandboxState, form: URLSearchParams, now: number): Reply {
  for (const name of new Set(form.keys())) {
    if (form.getAll(name).length > 1) return badArgument(name, 'too_many_arguments');
  }
  const grantType = form.get('grant_type');
  switch (grantType) {
    case 'authorization_code':
      store.stats.grants.authorization_code++;
      return authorizationCode(store, form, now);
    case 'refresh_token':
      store.stats.grants.refresh_token++;
      return refreshToken(store, form, now);
    case 'client_credentials':
      store.stats.grants.client_credentials++;
      return clientCredentials(store, form, now);
    default:
      return oauthError('unsupported_grant_type', 'unsupported grant_type');
  }
}

function authenticateClient(store: SandboxState, form: URLSearchParams): string | Reply {
  const clientId = form.get('client_id') ?? '';
  const secret = form.get('client_secret') ?? '';
  // A missing id or secret is one hh.ru does not find: the documented invalid_client.
  const client = store.config.clients.get(clientId);
  if (clientId === '' || secret === '' || !client || client.clientSecret !== secret) {
    return oauthError('invalid_client', 'client_id or client_secret not found');
  }
  return clientId;
}

function authorizationCode(store: SandboxState, form: URLSearchParams, now: number): Reply {
  const clientId = authenticateClient(store, form);
  if (typeof clientId !== 'string') return clientId;
  const code = form.get('code') ?? '';
  const record = code === '' ? undefined : store.codes.get(code);
  if (!record) return oauthError('invalid_request', 'code not found');
  if (record.clientId !== clientId) return oauthError('invalid_grant', 'bad token');
  if (record.used) return oauthError('invalid_grant', 'code has already been used');
  if (now - record.issuedAt >= store.config.codeTtl * 1000) return oauthError('invalid_grant', 'code expired');
  // hh.ru compares strings, not URLs: trailing slashes or re-encoding count as a mismatch.
  const sent = form.get('redirect_uri');
  if ((sent ?? undefined) !== record.redirectUri) return oauthError('invalid_request', 'bad redirect url');

  // Only a successful exchange spends the code, so a caller can fix a wrong redirect_uri and retry.
  record.used = true;
  store.stats.exchanged++;
  return pairReply(store, store.issuePair(clientId, record.persona, now));
}

function refreshToken(store: SandboxState, form: URLSearchParams, now: number): Reply {
  // The refresh grant takes no client credentials: the specification allows these two fields only.
  for (const name of form.keys()) {
    if (name !== 'grant_type' && name !== 'refresh_token') return badArgument(name);
  }
  const token = form.get('refresh_token') ?? '';
  if (token === '') return oauthError('invalid_request', 'token is empty');
  const pair = store.pairsByRefresh.get(token);
  if (!pair) return oauthError('invalid_request', 'token not found');
  if (pair.state === 'revoked') return oauthError('invalid_grant', 'token was revoked');
  if (pair.state === 'refreshed') return oauthError('invalid_grant', 'token has already been refreshed');
  if (now < pair.expiresAt) return oauthError('invalid_grant', 'token not expired');

  pair.state = 'refreshed';
  store.stats.refreshed++;
  return pairReply(store, store.issuePair(pair.clientId, pair.persona, now));
}

function clientCredentials(store: SandboxState, form: URLSearchParams, now: number): Reply {
  const clientId = authenticateClient(store, form);
  if (typeof clientId !== 'string') return clientId;
  const previous = store.latestAppToken.get(clientId);
  if (previous && now - previous.issuedAt < store.config.appTokenMinInterval * 1000) {
    return oauthError('forbidden', 'app token refresh too early', 403);
  }
  const app = store.issueAppToken(clientId, now);
  return { status: 200, headers: NO_STORE, body: { access_token: app.token, token_type: 'bearer' } };
}

function pairReply(store: SandboxState, pair: { accessToken: string; refreshToken: string }): Reply {
  return {
    status: 200,
    headers: NO_STORE,
    body: {
      access_token: pair.accessToken,
      token_type: 'bearer',
      expires_in: store.config.expiresIn,
      refresh_token: pair.refreshToken,
    },
  };
}
