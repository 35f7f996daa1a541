import type { SettingName } from './config';

/**
 * The rules for the URL settings (docs/security/settings.md#urls). The three that carry
 * credentials must be https:// unless they stay on this machine; an http:// redirect URI
 * elsewhere is allowed, as hh.ru allows it, with a warning.
 */

export function isHttpUrl(value: string): boolean {
  if (/[\s\0]/.test(value)) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** The settings whose URL carries credentials: the refresh token, codes, the client secret, Bearer tokens, the operator's login. */
export const CREDENTIAL_URLS: readonly SettingName[] = ['HH_TOKEN_URL', 'HH_API_URL', 'HH_AUTHORIZE_URL'];

/**
 * 127.0.0.0/8, ::1 and localhost: this machine, where http:// crosses no network (the
 * sandbox, tests). Takes a hostname as the WHATWG parser leaves it (127.1 is already
 * 127.0.0.1 there). Names are not resolved: DNS can lie.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Scheme, host and port only: a URL's user name, password, path and query stay out of messages. */
export function urlOrigin(value: string): string {
  const url = new URL(value);
  return `${url.protocol}//${url.host}`;
}

/** http:// to another machine, for a valid http(s) URL. */
function cleartextElsewhere(value: string): boolean {
  if (!isHttpUrl(value)) return false;
  const url = new URL(value);
  return url.protocol === 'http:' && !isLoopbackHost(url.hostname);
}

/**
 * For a credential-carrying URL setting with an http:// value to another machine: where it
 * points (scheme, host, port) and what would cross the network unencrypted; else undefined.
 */
export function cleartextProblem(name: SettingName, value: string): { origin: string; carries: string } | undefined {
  if (!CREDENTIAL_URLS.includes(name) || !cleartextElsewhere(value)) return undefined;
  const carries = name === 'HH_AUTHORIZE_URL' ? "the operator's hh.ru login" : name === 'HH_API_URL' ? 'access tokens' : 'the refresh token, codes and the client secret';
  return { origin: urlOrigin(value), carries };
}

/**
 * hh.ru registers http:// redirect URIs, so hh-oauth does not refuse one; but the
 * authorization code then reaches the server in cleartext (single-use, short-lived and
 * useless without the client secret, yet a code all the same): the warning to print, if any.
 */
export function redirectCleartextWarning(value: string): string | undefined {
  if (!cleartextElsewhere(value)) return undefined;
  return `HH_REDIRECT_URI is ${urlOrigin(value)}: the authorization code would reach it unencrypted; register an https:// redirect URI at dev.hh.ru`;
}
