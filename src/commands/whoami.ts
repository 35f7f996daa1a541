import { loadConfig, type Config, type GlobalOptions } from '../config';
import { formatDuration, isDue, secondsLeft } from '../expiry';
import { HhOauthError } from '../errors';
import { hhClient } from '../hh-client';
import { result } from '../output';
import { loadToken, refreshIfDue } from '../refresher';

export default async function whoami(opts: GlobalOptions): Promise<void> {
  const { me, expiresAt } = await fetchMe(loadConfig(opts));
  result(me, summary(me, expiresAt));
}

/** GET /me with the stored token; `login` uses it too, for its closing summary. */
export async function fetchMe(config: Config): Promise<{ me: Record<string, unknown>; expiresAt: Date }> {
  const client = hhClient(config);
  if (isDue((await loadToken(config)).expiresAt)) await refreshIfDue(config, { client });

  let token = await loadToken(config);
  let response;
  try {
    response = await client.api('GET', '/me', token.accessToken);
  } catch (err) {
    // Our clock and hh.ru's disagree: hh.ru is the judge, so refresh once and retry.
    if (!(err instanceof HhOauthError) || err.hhErrorDescription !== 'token_expired') throw err;
    await refreshIfDue(config, { client, force: true });
    token = await loadToken(config);
    response = await client.api('GET', '/me', token.accessToken);
  }
  return { me: (response.json ?? {}) as Record<string, unknown>, expiresAt: token.expiresAt };
}

export function summary(me: Record<string, unknown>, expiresAt: Date): string {
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const name = [str(me.first_name), str(me.last_name)].filter(Boolean).join(' ') || 'application';
  const email = str(me.email) ? ` <${me.email}>` : '';
  const employer = me.employer && typeof me.employer === 'object' ? `, ${str((me.employer as Record<string, unknown>).name) ?? 'employer'}` : '';
  const left = secondsLeft(expiresAt);
  return `${name}${email} (${str(me.auth_type) ?? 'unknown'}${employer}); token expires ${expiresAt.toISOString()} (in ${formatDuration(left)})`;
}
