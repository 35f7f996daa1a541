import type { Config } from '../config/config';
import { HhOauthError } from '../errors';
import { apiError, type ErrorContext, tokenEndpointError } from './errors';
import { httpRequest, type HttpRequest, type HttpResponse, type HttpSettings } from './http';
import { log } from '../output';
import { usableExpiresIn } from '../token/record';

/** hh.ru's token endpoint and API, with responses validated before anything else sees them. */
export interface UserGrant extends Record<string, unknown> {
  access_token: string;
  token_type: string;
  /** Usually a number of seconds; checked by usableExpiresIn, never trusted. */
  expires_in?: unknown;
  refresh_token: string;
}

export interface HhClient {
  /** POST to the token endpoint; returns hh.ru's body verbatim once it is a valid user grant. */
  userGrant(form: Record<string, string>): Promise<UserGrant>;
  /** POST to the token endpoint for an application token (no expiry, no refresh token). */
  appGrant(form: Record<string, string>): Promise<Record<string, unknown> & { access_token: string }>;
  /** An API call with a bearer token; non-2xx answers are thrown as mapped errors. */
  api(method: 'GET' | 'DELETE', path: string, token: string): Promise<HttpResponse>;
  /** The Date header of hh.ru's most recent answer (any status) and when it arrived here: for clock checks. */
  serverDate(): { date: Date; receivedAt: Date } | undefined;
}

export function hhClient(config: Config, extraHeaders: Record<string, string> = {}): HhClient {
  const settings = (): HttpSettings => ({
    userAgent: config.userAgent(),
    timeoutSeconds: config.seconds('HH_HTTP_TIMEOUT'),
    retries: config.retries(),
    headers: extraHeaders,
    ratePerSecond: config.rateLimit(),
  });

  let lastDate: { date: Date; receivedAt: Date } | undefined;
  async function request(req: HttpRequest): Promise<HttpResponse> {
    const response = await httpRequest(req, settings());
    const date = new Date(response.headers.get('date') ?? '');
    if (!Number.isNaN(date.getTime())) lastDate = { date, receivedAt: new Date() };
    return response;
  }

  /** What the error mapping words its hints with: what was sent, and where to come back after a captcha. */
  const context = (response: HttpResponse): ErrorContext => ({
    headers: response.headers,
    userAgent: config.userAgent(),
    managerAccountId: extraHeaders['X-Manager-Account-Id'],
    redirectUri: config.get('HH_REDIRECT_URI')?.value,
    lostAttempt: response.lostAttempt,
  });

  async function grant(form: Record<string, string>): Promise<Record<string, unknown>> {
    const url = config.url('HH_TOKEN_URL', 'talking to hh.ru');
    const response = await request({ method: 'POST', url, form });
    if (response.status < 200 || response.status >= 300) {
      throw tokenEndpointError(response.status, response.json, { ...context(response), managerAccountId: undefined, grantType: form.grant_type });
    }
    if (typeof response.json !== 'object' || response.json === null || Array.isArray(response.json)) {
      throw malformed('its body is not a JSON object (truncated?)');
    }
    const body = response.json as Record<string, unknown>;
    if (typeof body.access_token !== 'string' || body.access_token === '') throw malformed('access_token is missing');
    return body;
  }

  return {
    async userGrant(form) {
      const body = await grant(form);
      if (typeof body.refresh_token !== 'string' || body.refresh_token === '') throw malformed('refresh_token is missing');
      // The pair is usable and the old refresh token may already be spent: keep it, never drop it over expires_in.
      if (!usableExpiresIn(body.expires_in)) {
        log.warn('hh.ru sent no usable expires_in; storing the pair as due now (hh.ru will refuse a refresh until it really expires)');
      }
      if (typeof body.token_type !== 'string') body.token_type = 'bearer';
      return body as UserGrant;
    },
    async appGrant(form) {
      return (await grant(form)) as Record<string, unknown> & { access_token: string };
    },
    async api(method, path, token) {
      const base = config.url('HH_API_URL', 'talking to hh.ru').replace(/\/+$/, '');
      const response = await request({ method, url: base + path, bearer: token });
      if (response.status < 200 || response.status >= 300) throw apiError(response.status, response.json, { ...context(response), path });
      // Every GET of hh.ru's API answers a JSON object. Anything else with a 2xx (a proxy's or
      // the anti-DDoS layer's page, a cut body) is no answer: temporary, as for the token endpoint.
      if (method === 'GET' && !isJsonObject(response.json)) throw notAnAnswer(`GET ${new URL(base).host}${path}`, response.status);
      return response;
    },
    serverDate: () => lastDate,
  };
}

const isJsonObject = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);

function notAnAnswer(target: string, status: number): HhOauthError {
  return new HhOauthError('temporary', `${target}: hh.ru answered HTTP ${status}, but the body is not a JSON object (a proxy's page, or a cut answer?)`, {
    suggestion: 'this is temporary: run again later; if it persists, check that HH_API_URL points at hh.ru (https://api.hh.ru)',
  });
}

function malformed(why: string): HhOauthError {
  return new HhOauthError('temporary', `hh.ru answered success, but ${why}; nothing was stored`, {
    suggestion: 'run again later; if it persists, check that HH_TOKEN_URL points at hh.ru',
  });
}
