import { usageError } from '../errors';

/**
 * What the operator pasted into `exchange`: a bare code, or the whole callback URL
 * from the browser's address bar (from which code, state and error are read).
 */
export interface CallbackInput {
  /** A bare code was typed on purpose; a URL came from a browser, and must carry its state. */
  source: 'code' | 'url';
  code?: string;
  state?: string;
  error?: string;
  errorDescription?: string;
}

const CODE = /^[A-Za-z0-9._~+/=-]{1,1024}$/;
const PASTE_AS_IS = 'paste the URL exactly as the browser shows it after hh.ru redirected you, or run `hh-oauth authorize-url` again';

export function parseCallbackInput(raw: string): CallbackInput {
  const text = raw.trim();
  if (text === '') throw usageError('no code or callback URL given', 'paste the whole URL hh.ru redirected to, e.g. https://example.com/callback?code=…&state=…');
  if (CODE.test(text) && !text.includes('://')) return { source: 'code', code: text };

  const query = queryOf(text);
  if (query === undefined) throw usageError('this is neither an authorization code nor a callback URL', 'paste the whole URL from the address bar after hh.ru redirected you');
  const params = new URLSearchParams(query);
  const pick = (name: string) => {
    const values = params.getAll(name);
    if (values.length > 1) throw usageError(`the callback URL has more than one "${name}" parameter`, PASTE_AS_IS);
    return values[0] === undefined || values[0] === '' ? undefined : values[0];
  };
  const result: CallbackInput = { source: 'url', code: pick('code'), state: pick('state'), error: pick('error'), errorDescription: pick('error_description') };
  if (result.code !== undefined && !CODE.test(result.code)) throw usageError('the "code" in the callback URL is malformed', PASTE_AS_IS);
  if (result.code === undefined && result.error === undefined) {
    throw usageError('the callback URL has neither "code" nor "error"', 'copy the URL only after hh.ru has redirected you back');
  }
  return result;
}

function queryOf(text: string): string | undefined {
  if (/^https?:\/\//i.test(text)) {
    try {
      return new URL(text).search.slice(1);
    } catch {
      return undefined;
    }
  }
  if (text.startsWith('?')) return text.slice(1);
  if (/^[^\s=&]+=[^\s]*$/.test(text) && /(^|&)(code|error)=/.test(text)) return text;
  return undefined;
}
