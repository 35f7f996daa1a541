import type { SandboxState } from './state';
import type { Reply } from './types';

const NO_STORE = { 'cache-control': 'no-store' };

function oauthError(error: string, description: string, status = 400): Reply {
  return { status, headers: NO_STORE, body: { error, error_description: description } };
}

/** POST /token and POST /oauth/token: the form is already parsed, the content type already checked. */
export function tokenGrant(sandbox: SandboxState, form: URLSearchParams, now: number): Reply {
  // hh.ru's form parser takes one value per field; a second copy is a caller bug worth surfacing.
  for (const name of new Set(form.keys())) {
    if (form.getAll(name).length > 1) return oauthError('invalid_request', `duplicate parameter ${name}`);
  }
  const grantType = form.get('grant_type');
  switch (grantType) {
    case 'authorization_code':
      sandbox.stats.grants.authorization_code++;
      return authorizationCode(sandbox, form, now);
    case 'refresh_token':
      sandbox.stats.grants.refresh_token++;
      return refreshToken(sandbox, form, now);
    case 'client_credentials':
      sandbox.stats.grants.client_credentials++;
      return clientCredentials(sandbox, form, now);
    default:
      return oauthError('unsupported_grant_type', 'unsupported grant_type');
  }
}

function authenticateClient(sandbox: SandboxState, form: URLSearchParams): string | Reply {
  const clientId = form.get('client_id') ?? '';
  const secret = form.get('client_secret') ?? '';
  if (clientId === '') return oauthError('invalid_request', 'client_id is empty');
  if (secret === '') return oauthError('invalid_request', 'client_secret is empty');
  const client = sandbox.config.clients.get(clientId);
  if (!client || client.clientSecret !== secret) {
    return oauthError('invalid_client', 'client_id or client_secret not found');
  }
  return clientId;
}

function authorizationCode(sandbox: SandboxState, form: URLSearchParams, now: number): Reply {
  const clientId = authenticateClient(sandbox, form);
  if (typeof clientId !== 'string') return clientId;
  const code = form.get('code') ?? '';
  if (code === '') return oauthError('invalid_request', 'code is empty');
  const record = sandbox.codes.get(code);
  if (!record) return oauthError('invalid_request', 'code not found');
  if (record.clientId !== clientId) return oauthError('invalid_grant', 'bad token');
  if (record.used) return oauthError('invalid_grant', 'code has already been used');
  if (now - record.issuedAt >= sandbox.config.codeTtl * 1000) return oauthError('invalid_grant', 'code expired');
  // hh.ru compares strings, not URLs: trailing slashes or re-encoding count as a mismatch.
  const sent = form.get('redirect_uri');
  if ((sent ?? undefined) !== record.redirectUri) return oauthError('invalid_request', 'bad redirect url');

  // Only a successful exchange spends the code, so a caller can fix a wrong redirect_uri and retry.
  record.used = true;
  sandbox.stats.exchanged++;
  return pairReply(sandbox, sandbox.issuePair(clientId, record.user, now));
}

function refreshToken(sandbox: SandboxState, form: URLSearchParams, now: number): Reply {
  // The refresh grant takes no client credentials; hh.ru rejects any extra field.
  for (const name of form.keys()) {
    if (name !== 'grant_type' && name !== 'refresh_token') {
      return oauthError('invalid_request', `unexpected parameter ${name}`);
    }
  }
  const token = form.get('refresh_token') ?? '';
  if (token === '') return oauthError('invalid_request', 'token is empty');
  const pair = sandbox.pairsByRefresh.get(token);
  if (!pair) return oauthError('invalid_request', 'token not found');
  if (pair.state === 'revoked') return oauthError('invalid_grant', 'token was revoked');
  if (pair.state === 'refreshed') return oauthError('invalid_grant', 'token has already been refreshed');
  if (now < pair.expiresAt) return oauthError('invalid_grant', 'token not expired');

  pair.state = 'refreshed';
  sandbox.stats.refreshed++;
  return pairReply(sandbox, sandbox.issuePair(pair.clientId, pair.user, now));
}

function clientCredentials(sandbox: SandboxState, form: URLSearchParams, now: number): Reply {
  const clientId = authenticateClient(sandbox, form);
  if (typeof clientId !== 'string') return clientId;
  const previous = sandbox.latestAppToken.get(clientId);
  if (previous && now - previous.issuedAt < sandbox.config.appTokenMinInterval * 1000) {
    return oauthError('forbidden', 'app token refresh too early', 403);
  }
  const app = sandbox.issueAppToken(clientId, now);
  return { status: 200, headers: NO_STORE, body: { access_token: app.token, token_type: 'bearer' } };
}

function pairReply(sandbox: SandboxState, pair: { accessToken: string; refreshToken: string }): Reply {
  return {
    status: 200,
    headers: NO_STORE,
    body: {
      access_token: pair.accessToken,
      token_type: 'bearer',
      expires_in: sandbox.config.expiresIn,
      refresh_token: pair.refreshToken,
    },
  };
}
