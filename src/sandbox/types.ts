export interface SandboxClient {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

/**
 * Whose /me a user token gets: an employer's manager (the default: since 15 December 2025
 * hh.ru gives third-party applications no applicant access), an integration that connects
 * employers, or an applicant.
 */
export type Persona = 'applicant' | 'employer' | 'employer_integration';
export type Decision = 'approve' | 'deny';

export interface SandboxOptions {
  host?: string;
  port?: number;
  /** Access token lifetime in seconds. */
  expiresIn?: number;
  /** Authorization code lifetime in seconds. */
  codeTtl?: number;
  /** Seconds that must pass between two client_credentials grants of one client. */
  appTokenMinInterval?: number;
  clients?: SandboxClient[];
  decision?: Decision;
  /** Whose /me a user token gets; default 'employer' (a manager with two manager accounts). */
  persona?: Persona;
  /** hh.ru's per-IP limit: beyond this many requests per second, HTTP 429 (rate-limit.ts); default none. */
  rateLimit?: number;
  /** Receives one line per request: `METHOD /path STATUS`. Never token values. */
  log?: (line: string) => void;
}

export interface SandboxStats {
  grants: { authorization_code: number; refresh_token: number; client_credentials: number };
  refreshed: number;
  exchanged: number;
  meCalls: number;
  revoked: number;
  /** Requests answered 429 by the per-IP limit (rateLimit). */
  rateLimited: number;
}

interface FaultScope {
  /** Only requests to this exact path (e.g. '/token'); default: every path except /_sandbox/*. */
  path?: string;
  /** Apply to the next N matching requests, then clear; default: until cleared. */
  times?: number;
}

export type Fault = FaultScope &
  (
    | { kind: 'html'; status: number }
    | { kind: 'rate-limit'; retryAfter: number }
    | { kind: 'truncated-json' }
    | { kind: 'missing-access-token' }
    | { kind: 'huge-body'; bytes?: number }
    | { kind: 'unknown-error' }
    | { kind: 'reset' }
    | { kind: 'hang' }
    | AnswerFault
    | { kind: 'lost-answer'; then?: 'reset' | 'hang' }
    | { kind: 'token-expired' }
  );

/** Answers with a given status and body: a literal one, or an entry of DOCUMENTED_ERRORS by name. */
export type AnswerFault =
  | {
      kind: 'answer';
      status: number;
      /** Objects are sent as JSON, strings as-is, verbatim either way (no request_id is added). */
      body?: unknown;
      /** Extra or replaced headers; null removes one the sandbox would send (e.g. x-request-id). */
      headers?: Record<string, string | null>;
    }
  | { kind: 'answer'; documented: string; headers?: Record<string, string | null> };

export interface RecordedRequest {
  method: string;
  /** Pathname only, e.g. '/token'. */
  path: string;
  /** Raw query string including the leading '?', or '' when there is none. */
  query: string;
  /** Header names lowercased; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** Raw body text as received. */
  body: string;
}

export interface Sandbox {
  url: string;
  env: { HH_AUTHORIZE_URL: string; HH_TOKEN_URL: string; HH_API_URL: string };
  stats(): SandboxStats;
  /** Sets, changes or (undefined) lifts the per-IP limit, e.g. after minting grants unlimited. */
  setRateLimit(perSecond: number | undefined): void;
  issued(): string[];
  setDecision(d: Decision): void;
  fault(f: Fault | null): void;
  requests(): RecordedRequest[];
  close(): Promise<void>;
}

/** What a handler wants sent; the server turns it into an HTTP response. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON, strings as-is (set content-type in headers), undefined as an empty body. */
  body?: unknown;
}
