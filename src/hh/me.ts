import { formatDuration, secondsLeft } from '../token/expiry';

/** The one-line summary of a /me body (whoami's human answer, login's closing line). */
export function summary(me: Record<string, unknown>, expiresAt: Date): string {
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const name = [str(me.first_name), str(me.last_name)].filter(Boolean).join(' ') || 'application';
  const email = str(me.email) ? ` <${me.email}>` : '';
  const employer = me.employer && typeof me.employer === 'object' ? `, ${str((me.employer as Record<string, unknown>).name) ?? 'employer'}` : '';
  const manager = me.manager && typeof me.manager === 'object' ? str((me.manager as Record<string, unknown>).id) : undefined;
  const left = secondsLeft(expiresAt);
  return `${name}${email} (${str(me.auth_type) ?? 'unknown'}${employer}${manager ? `, manager account ${manager}` : ''}); token expires ${expiresAt.toISOString()} (in ${formatDuration(left)})`;
}
