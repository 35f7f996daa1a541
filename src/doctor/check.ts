import { type ErrorCode, mostSerious, toHhOauthError } from '../errors';

/**
 * One line of `hh-oauth doctor`. A check is skipped only when the operator asks
 * (--skip-systemd, --skip-nginx) or when a check it needs has already failed, so a
 * skip never hides a problem: `ok` stays true for it and the overall result is
 * decided by the failures.
 */
export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  ok: boolean;
  message: string;
  /** What to run or change; null unless the check failed. */
  fix: string | null;
  /** The error category (docs/contract.md) of a failure, which picks doctor's exit code. */
  code: ErrorCode | null;
}

export const pass = (name: string, message: string): CheckResult => ({ name, status: 'pass', ok: true, message, fix: null, code: null });
export const skip = (name: string, message: string): CheckResult => ({ name, status: 'skip', ok: true, message, fix: null, code: null });
export const fail = (name: string, code: ErrorCode, message: string, fix: string): CheckResult => ({ name, status: 'fail', ok: false, message, fix, code });

/** A failure from one of our errors, keeping its category and suggestion. */
export function failFrom(name: string, err: unknown, prefix = ''): CheckResult {
  const e = toHhOauthError(err);
  return fail(name, e.code, prefix + e.message, e.suggestion ?? (e.code === 'internal' ? 'this is a bug in hh-oauth; rerun with HH_DEBUG=1 and report it' : 'see the message'));
}

/** Runs a check; anything it throws becomes its failure instead of stopping the others. */
export async function guarded(name: string, run: () => Promise<CheckResult> | CheckResult): Promise<CheckResult> {
  try {
    return await run();
  } catch (err) {
    return failFrom(name, err);
  }
}

/** The failure that decides doctor's exit code: the most serious (SEVERITY, src/errors.ts); a check without a code counts as a bug. */
export function worstFailure(checks: CheckResult[]): ErrorCode | undefined {
  return mostSerious(checks.filter((c) => !c.ok).map((c) => c.code ?? 'internal'));
}
