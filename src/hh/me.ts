import { formatDuration, secondsLeft } from '../token/expiry';

/**
 * Who a /me body belongs to, in one phrase: name, e-mail, auth type, employer and
 * manager account. The one description of /me: whoami and login print it with the
 * token's expiry (meSummary), doctor's token-accepted check with what it found.
 */
export function describeMe(me: Record<string, unknown>): string {
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const name = [str(me.first_name), str(me.last_name)].filter(Boolean).join(' ') || 'application';
  const email = str(me.email) ? ` <${me.email}>` : '';
  const employer = me.employer && typeof me.employer === 'object' ? `, ${str((me.employer as Record<string, unknown>).name) ?? 'employer'}` : '';
  const manager = me.manager && typeof me.manager === 'object' ? str((me.manager as Record<string, unknown>).id) : undefined;
  return `${name}${email} (${str(me.auth_type) ?? 'unknown'}${employer}${manager ? `, manager account ${manager}` : ''})`;
}

/** whoami's human answer and login's closing line: who, and when the token expires. */
export function meSummary(me: Record<string, unknown>, expiresAt: Date): string {
  return `${describeMe(me)}; token expires ${expiresAt.toISOString()} (in ${formatDuration(secondsLeft(expiresAt))})`;
}
