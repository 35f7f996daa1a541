/**
 * The form bodies of hh.ru's three grants (POST /token). Each is built here and nowhere
 * else; they carry secrets (the client secret, the code, the refresh token), so they go
 * only to the token endpoint, never to a log or an error.
 */

/** A code from hh.ru's redirect, traded once for a user's pair. */
export interface AuthorizationCode {
  clientId: string;
  clientSecret: string;
  code: string;
  /** Sent when the authorize URL carried one: hh.ru then requires the identical string. */
  redirectUri?: string;
}

export function authorizationCodeForm(grant: AuthorizationCode): Record<string, string> {
  const form: Record<string, string> = {
    grant_type: 'authorization_code',
    client_id: grant.clientId,
    client_secret: grant.clientSecret,
    code: grant.code,
  };
  if (grant.redirectUri !== undefined) form.redirect_uri = grant.redirectUri;
  return form;
}

/** hh.ru refreshes without the client's credentials: the refresh token alone. */
export function refreshTokenForm(refreshToken: string): Record<string, string> {
  return { grant_type: 'refresh_token', refresh_token: refreshToken };
}

export function clientCredentialsForm(clientId: string, clientSecret: string): Record<string, string> {
  return { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret };
}
