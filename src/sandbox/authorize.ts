import { redirectUriAllowed } from './redirect-uri';
import type { SandboxState } from './state';
import type { Reply } from './types';

/**
 * GET /oauth/authorize, answered as if the user were logged in and clicked the button
 * (or refused, with decision 'deny'). Errors are pages, never redirects: hh.ru does not
 * send a browser to a redirect_uri it could not validate.
 */
export function authorize(sandbox: SandboxState, query: URLSearchParams, now: number): Reply {
  if (query.get('response_type') !== 'code') return errorPage('response_type must be "code".');
  const client = sandbox.config.clients.get(query.get('client_id') ?? '');
  if (!client) return errorPage('Unknown client_id.');

  const requested = query.get('redirect_uri') ?? undefined;
  if (requested !== undefined && !redirectUriAllowed(client.redirectUri, requested)) {
    return errorPage('redirect_uri does not match the one registered for this application.');
  }
  const target = requested ?? client.redirectUri;
  const state = query.get('state');

  const params = new URLSearchParams();
  if (sandbox.config.decision === 'deny') params.set('error', 'access_denied');
  else params.set('code', sandbox.issueCode(client.clientId, requested, now));
  if (state !== null) params.set('state', state);

  const separator = target.includes('?') ? '&' : '?';
  return { status: 302, headers: { location: `${target}${separator}${params.toString()}` }, body: '' };
}

function errorPage(message: string): Reply {
  const html = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>hh.ru sandbox: authorization error</title></head>
<body><h1>Authorization error</h1><p>${message}</p></body></html>
`;
  return { status: 400, headers: { 'content-type': 'text/html; charset=utf-8' }, body: html };
}
