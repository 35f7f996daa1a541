/** hh.ru's authorization page URL, with the parameters hh.ru documents (authorize-url and login build it alike). */
export function buildAuthorizeUrl(base: string, p: { clientId: string; state: string; redirectUri?: string; forceLogin?: boolean; skipChooseAccount?: boolean }): string {
  const url = new URL(base);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', p.clientId);
  url.searchParams.set('state', p.state);
  if (p.redirectUri !== undefined) url.searchParams.set('redirect_uri', p.redirectUri);
  if (p.forceLogin) url.searchParams.set('force_login', 'true');
  if (p.skipChooseAccount) url.searchParams.set('skip_choose_account', 'true');
  return url.toString();
}
