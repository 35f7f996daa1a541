import { formatDuration, secondsLeft } from '../token/expiry';

/**
 * The one-line summary of a /me body (whoami's human answer, login's closing line). A manager
 * shows the employer it acts for and its manager id (hh.ru's `manager.id` is the manager's, not
 * the manager account's); an employer_integration is no person, so its employer names it.
 */
export function summary(me: Record<string, unknown>, expiresAt: Date): string {
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const field = (o: unknown, key: string) => (o && typeof o === 'object' ? str((o as Record<string, unknown>)[key]) : undefined);
  const person = [str(me.first_name), str(me.last_name)].filter(Boolean).join(' ');
  const employerName = field(me.employer, 'name') ?? (me.employer && typeof me.employer === 'object' ? 'employer' : undefined);
  const name = person || employerName || 'application';
  const email = str(me.email) ? ` <${me.email}>` : '';
  const employer = person && employerName ? `, ${employerName}` : '';
  const manager = field(me.manager, 'id');
  const left = secondsLeft(expiresAt);
  return `${name}${email} (${str(me.auth_type) ?? 'unknown'}${employer}${manager ? `, manager ${manager}` : ''}); token expires ${expiresAt.toISOString()} (in ${formatDuration(left)})`;
}
