/**
 * hh.ru's redirect_uri rule: the requested URI may narrow the registered one (subdomain,
 * longer path, extra query parameters) but never change scheme, domain or port.
 * Pure and total: any input that is not an absolute URL is refused, nothing throws.
 */
export function redirectUriAllowed(registered: string, requested: string): boolean {
  const reg = parse(registered);
  const req = parse(requested);
  if (!reg || !req) return false;
  // A fragment cannot survive a redirect that appends ?code=… (RFC 6749 §3.1.2).
  if (req.url.hash !== '' || requested.includes('#')) return false;
  // Credentials in the authority are a phishing trick, never a narrowing.
  if (req.url.username !== '' || req.url.password !== '') return false;
  if (req.url.protocol !== reg.url.protocol) return false;
  if (!hostAllowed(reg.url.hostname, req.url.hostname)) return false;
  if (req.rawPort !== reg.rawPort) return false;
  if (!pathAllowed(reg.url.pathname, req.url.pathname)) return false;
  return queryAllowed(reg.url.searchParams, req.url.searchParams);
}

interface Parsed {
  url: URL;
  /** The port exactly as written, or undefined: URL drops default ports, but hh.ru refuses `:80` that was not registered. */
  rawPort: string | undefined;
}

function parse(input: string): Parsed | undefined {
  if (typeof input !== 'string' || input === '' || /\s/.test(input)) return undefined;
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return undefined;
  }
  // Only hierarchical URLs (scheme://host) can carry a host to compare.
  const authority = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(input)?.[1];
  if (authority === undefined || url.hostname === '') return undefined;
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const portMatch = /^(?:\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hostPort);
  return { url, rawPort: portMatch?.[1] };
}

function hostAllowed(registered: string, requested: string): boolean {
  // The dot keeps evilexample.com out; URL has already lowercased both names.
  return requested === registered || requested.endsWith(`.${registered}`);
}

function pathAllowed(registered: string, requested: string): boolean {
  if (requested === registered) return true;
  // Only at a segment boundary: /oauth must not admit /oauths.
  const prefix = registered.endsWith('/') ? registered : `${registered}/`;
  return requested.startsWith(prefix);
}

function queryAllowed(registered: URLSearchParams, requested: URLSearchParams): boolean {
  for (const [name, value] of registered) {
    if (!requested.getAll(name).includes(value)) return false;
  }
  return true;
}
