/** The error names of docs/contract.md, in the order of their exit codes. */
export const EXIT_CODES = {
  internal: 1,
  usage: 2,
  config: 3,
  reauthorize: 4,
  rejected: 5,
  temporary: 6,
  store: 7,
} as const;

export type ErrorCode = keyof typeof EXIT_CODES;

/**
 * The one order of seriousness, used wherever several failures must give one exit code
 * (`refresh --all` over its profiles, `doctor` over its checks, several errors in one of
 * hh.ru's answers: src/hh/errors.ts); docs/contract.md ("Errors") states it. Most serious first, and
 * the rule is "what must be fixed first": a failure comes before the ones whose fix it
 * would defeat.
 * - internal (1): a bug; nothing else reported can be trusted.
 * - store (7): the token file, the only copy of a single-use refresh token, is at risk.
 * - config (3), then usage (2): every request, a new authorization included, needs them;
 *   and a configuration slip usually hits every profile at once.
 * - rejected (5): hh.ru refuses the client or the request; authorizing again would be
 *   refused the same way.
 * - reauthorize (4): only the token is dead; one login fixes it, once the above are right.
 * - temporary (6) last: systemd retries it, so a run exits 6 only when every failure was
 *   temporary; anything a person must fix outranks it.
 */
export const SEVERITY: readonly ErrorCode[] = ['internal', 'store', 'config', 'usage', 'rejected', 'reauthorize', 'temporary'];

/** The most serious of these codes by SEVERITY, or undefined when there are none. */
export function mostSerious(codes: Iterable<ErrorCode>): ErrorCode | undefined {
  let worst: ErrorCode | undefined;
  for (const code of codes) {
    if (worst === undefined || SEVERITY.indexOf(code) < SEVERITY.indexOf(worst)) worst = code;
  }
  return worst;
}

/** One entry of an `errors[]` body as hh.ru sent it: `type` always, `value` optional, and documented extras (`allowed_accounts`, `captcha_url`). */
export interface HhErrorEntry {
  type: string;
  value?: string;
  [key: string]: unknown;
}

export interface ErrorDetails {
  /** One actionable line for the operator: what to run or change. */
  suggestion?: string;
  /**
   * hh.ru's own `error` / `error_description` (RFC 6749 bodies), or the first entry's
   * `type` / `value` (`errors[]` bodies), only when hh.ru answered.
   */
  hhError?: string;
  hhErrorDescription?: string;
  /** Every entry of an `errors[]` body, verbatim (`--json` error.errors). */
  hhErrors?: readonly HhErrorEntry[];
  /** hh.ru's `request_id` (body or X-Request-Id), which its support asks for: shown in the message too. */
  requestId?: string;
  /**
   * Which documented error decided the code, by its name in src/hh/errors.ts (e.g.
   * `oauth/token_expired`), for the callers that act on one. Never printed.
   */
  hhReason?: string;
  /**
   * The command already printed its answer (a report that covers the failure, such as
   * doctor's or status's --json document): the handler adds no second JSON document.
   */
  answered?: boolean;
  cause?: unknown;
}

/**
 * The only error type the CLI reports. Every failure a user can meet is turned
 * into one of these at the edge where it happens, so the top-level handler can
 * pick the exit code without guessing.
 */
export class HhOauthError extends Error {
  readonly code: ErrorCode;
  readonly suggestion?: string;
  readonly hhError?: string;
  readonly hhErrorDescription?: string;
  readonly hhErrors?: readonly HhErrorEntry[];
  readonly requestId?: string;
  readonly hhReason?: string;
  readonly answered: boolean;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    // The request_id goes into the message itself, so that every place that prints one
    // (the handler, doctor's checks, refresh --all's profiles) shows it.
    super(withRequestId(message, details.requestId), details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'HhOauthError';
    this.code = code;
    this.suggestion = details.suggestion;
    this.hhError = details.hhError;
    this.hhErrorDescription = details.hhErrorDescription;
    this.hhErrors = details.hhErrors;
    this.requestId = details.requestId;
    this.hhReason = details.hhReason;
    this.answered = details.answered ?? false;
  }

  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
}

/** What hh.ru said, to carry over into an error that words it anew (`{...hhDetails(err), suggestion}`). */
export function hhDetails(err: HhOauthError): ErrorDetails {
  return { hhError: err.hhError, hhErrorDescription: err.hhErrorDescription, hhErrors: err.hhErrors, requestId: err.requestId, hhReason: err.hhReason };
}

function withRequestId(message: string, requestId: string | undefined): string {
  if (!requestId) return message;
  const tag = `request_id: ${requestId}`;
  return message.includes(tag) ? message : `${message} (${tag})`;
}

export const usageError = (message: string, suggestion?: string) =>
  new HhOauthError('usage', message, { suggestion });
export const configError = (message: string, suggestion?: string) =>
  new HhOauthError('config', message, { suggestion });
export const storeError = (message: string, suggestion?: string, cause?: unknown) =>
  new HhOauthError('store', message, { suggestion, cause });
export const reauthorizeError = (message: string, suggestion = REAUTHORIZE_HINT) =>
  new HhOauthError('reauthorize', message, { suggestion });

export const REAUTHORIZE_HINT =
  'authorize again: run `hh-oauth authorize-url`, open the URL, then `hh-oauth exchange -` and paste the callback URL';

/** Anything that is not already ours is a bug: exit 1, with the original kept as cause. */
export function toHhOauthError(err: unknown): HhOauthError {
  if (err instanceof HhOauthError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new HhOauthError('internal', `unexpected error: ${message}`, {
    suggestion: 'this is a bug in hh-oauth; rerun with HH_DEBUG=1 and report the output (it contains no secrets)',
    cause: err,
  });
}

/** The errno code of a Node system error, if it is one. */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}
