import { loadConfig, type Config, type GlobalOptions } from '../config';
import { formatDuration, isDue, secondsLeft } from '../expiry';
import { HhOauthError } from '../errors';
import { hhClient } from '../hh-client';
import { result } from '../output';
import { loadToken, refreshIfDue } from '../refresher';

export interface WhoamiOptions extends GlobalOptions {
  managerAccounts?: boolean;
}

export default async function whoami(opts: WhoamiOptions): Promise<void> {
  const config = loadConfig(opts);
  if (opts.managerAccounts) {
    const { body } = await fetchApi(config, '/manager_accounts/mine');
    result(body, managerAccountLines(body));
    return;
  }
  const { me, expiresAt } = await fetchMe(config);
  result(me, summary(me, expiresAt));
}

/** GET /me with the stored token; `login` uses it too, for its closing summary. */
export async function fetchMe(config: Config): Promise<{ me: Record<string, unknown>; expiresAt: Date }> {
  const { body, expiresAt } = await fetchApi(config, '/me');
  return { me: body, expiresAt };
}

/** An API GET with the stored token, refreshing first when it has expired, and once more if hh.ru says so. */
async function fetchApi(config: Config, path: string): Promise<{ body: Record<string, unknown>; expiresAt: Date }> {
  const client = hhClient(config);
  // X-Manager-Account-Id goes to API calls only, never to the token endpoint; listing
  // the manager accounts needs none.
  const api = path === '/manager_accounts/mine' ? client : hhClient(config, config.apiHeaders());
  if (isDue((await loadToken(config)).expiresAt)) await refreshIfDue(config, { client });

  let token = await loadToken(config);
  let response;
  try {
    response = await api.api('GET', path, token.accessToken);
  } catch (err) {
    if (!(err instanceof HhOauthError)) throw err;
    if (err.hhError === 'manager_accounts') throw managerAccountRefused(err);
    // Our clock and hh.ru's disagree: hh.ru is the judge, so refresh once and retry.
    if (err.hhErrorDescription !== 'token_expired') throw err;
    await refreshIfDue(config, { client, force: true });
    token = await loadToken(config);
    response = await api.api('GET', path, token.accessToken);
  }
  return { body: (response.json ?? {}) as Record<string, unknown>, expiresAt: token.expiresAt };
}

function managerAccountRefused(err: HhOauthError): HhOauthError {
  const notEmployer = err.hhErrorDescription === 'not_employer';
  return new HhOauthError(err.code, notEmployer ? 'this token is not an employer\'s: it has no manager accounts' : 'hh.ru refused the manager account (X-Manager-Account-Id) for this token', {
    hhError: err.hhError,
    hhErrorDescription: err.hhErrorDescription,
    suggestion: notEmployer
      ? 'drop --manager-account / HH_MANAGER_ACCOUNT_ID for this profile'
      : 'list the ids this token may use with `hh-oauth whoami --manager-accounts`, then fix --manager-account, HH_MANAGER_ACCOUNT_ID or `hh-oauth profiles set manager-account`',
  });
}

export function summary(me: Record<string, unknown>, expiresAt: Date): string {
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const name = [str(me.first_name), str(me.last_name)].filter(Boolean).join(' ') || 'application';
  const email = str(me.email) ? ` <${me.email}>` : '';
  const employer = me.employer && typeof me.employer === 'object' ? `, ${str((me.employer as Record<string, unknown>).name) ?? 'employer'}` : '';
  const manager = me.manager && typeof me.manager === 'object' ? str((me.manager as Record<string, unknown>).id) : undefined;
  const left = secondsLeft(expiresAt);
  return `${name}${email} (${str(me.auth_type) ?? 'unknown'}${employer}${manager ? `, manager account ${manager}` : ''}); token expires ${expiresAt.toISOString()} (in ${formatDuration(left)})`;
}

/** One line per account: id, name, and which is primary. */
function managerAccountLines(body: Record<string, unknown>): string {
  const items = Array.isArray(body.items) ? (body.items as Array<Record<string, unknown>>) : [];
  if (items.length === 0) return 'no manager accounts';
  return items
    .map((a) => `${String(a?.id ?? '?')}\t${String(a?.name ?? '')}${a?.is_primary === true || a?.id === body.primary_account_id ? '\t(primary)' : ''}`)
    .join('\n');
}
