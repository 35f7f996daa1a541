import { describe, expect, it } from 'vitest';
import { authorizationCodeForm, clientCredentialsForm, refreshTokenForm } from '../../../src/hh/grant-forms';

/** The bodies POSTed to hh.ru's /token, field for field: exchange and login share the first. */
describe('grant forms', () => {
  it('authorization_code: with the redirect URI when the authorize URL carried one, without it otherwise', () => {
    const code = { clientId: 'ID', clientSecret: 'SECRET', code: 'CODE' };
    expect(authorizationCodeForm({ ...code, redirectUri: 'https://example.com/callback' })).toEqual({
      grant_type: 'authorization_code',
      client_id: 'ID',
      client_secret: 'SECRET',
      code: 'CODE',
      redirect_uri: 'https://example.com/callback',
    });
    const bare = authorizationCodeForm({ ...code, redirectUri: undefined });
    expect(bare).toEqual({ grant_type: 'authorization_code', client_id: 'ID', client_secret: 'SECRET', code: 'CODE' });
    expect('redirect_uri' in bare).toBe(false);
  });

  it('refresh_token carries the refresh token alone; client_credentials the client\'s id and secret', () => {
    expect(refreshTokenForm('R')).toEqual({ grant_type: 'refresh_token', refresh_token: 'R' });
    expect(clientCredentialsForm('ID', 'SECRET')).toEqual({ grant_type: 'client_credentials', client_id: 'ID', client_secret: 'SECRET' });
  });
});
