import type { WHOAMI } from '../cli/commands';
import type { OptionsFor } from '../cli/spec';
import { loadConfig } from '../config/config';
import { meSummary } from '../hh/me';
import { fetchApi, fetchMe } from '../lifecycle/api-call';
import { printable, result } from '../output';

/** Typed from the command's declaration (WHOAMI in src/cli/commands.ts). */
export type WhoamiOptions = OptionsFor<typeof WHOAMI>;

export default async function whoami(opts: WhoamiOptions): Promise<void> {
  const config = loadConfig(opts);
  if (opts.managerAccounts) {
    const { body } = await fetchApi(config, '/manager_accounts/mine');
    result(body, managerAccountLines(body));
    return;
  }
  const { me, expiresAt } = await fetchMe(config);
  result(me, meSummary(me, expiresAt));
}

/** One line per account: id, its employer's name (hh.ru names an account by it), and which is primary. */
function managerAccountLines(body: Record<string, unknown>): string {
  const items = Array.isArray(body.items) ? (body.items as Array<Record<string, unknown>>) : [];
  if (items.length === 0) return 'no manager accounts';
  const employerName = (a: Record<string, unknown>): string => {
    const employer = a?.employer as Record<string, unknown> | undefined;
    return typeof employer?.name === 'string' ? printable(employer.name) : '';
  };
  return items.map((a) => `${printable(String(a?.id ?? '?'))}\t${employerName(a)}${a?.id === body.primary_account_id ? '\t(primary)' : ''}`).join('\n');
}
