import { printable } from '../output';
import { formatDuration, secondsLeft } from '../token/expiry';

/**
 * Who a /me body belongs to, in one phrase: name, e-mail, auth type, employer and manager.
 * The one description of /me: whoami and login print it with the token's expiry
 * (meSummary), doctor's token-accepted check with what it found. A manager shows the
 * employer it acts for and its manager id (hh.ru's `manager.id` is the manager's, not the
 * manager account's); an employer_integration is no person, so its employer names it.
 */
export function describeMe(me: Record<string, unknown>): string {
  // hh.ru's strings, printed on the terminal: through printable().
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? printable(v) : undefined);
  const field = (o: unknown, key: string) => (o && typeof o === 'object' ? str((o as Record<string, unknown>)[key]) : undefined);
  const person = [str(me.first_name), str(me.last_name)].filter(Boolean).join(' ');
  const employerName = field(me.employer, 'name') ?? (me.employer && typeof me.employer === 'object' ? 'employer' : undefined);
  const name = person || employerName || 'application';
  const email = str(me.email) ? ` <${str(me.email)}>` : '';
  const employer = person && employerName ? `, ${employerName}` : '';
  const manager = field(me.manager, 'id');
  return `${name}${email} (${str(me.auth_type) ?? 'unknown'}${employer}${manager ? `, manager ${manager}` : ''})`;
}

/** whoami's human answer and login's closing line: who, and when the token expires. */
export function meSummary(me: Record<string, unknown>, expiresAt: Date): string {
  return `${describeMe(me)}; token expires ${expiresAt.toISOString()} (in ${formatDuration(secondsLeft(expiresAt))})`;
}
