import { storeOf } from '../lifecycle/stores';
import type { DOCTOR } from '../cli/commands';
import type { OptionsFor } from '../cli/spec';
import { loadConfig, type Config } from '../config/config';
import { worstFailure, failFrom, guarded, skip, type CheckResult } from '../doctor/check';
import { clockCheck } from '../doctor/clock';
import { checkConfiguration, checkTokenFile, checkTokenPermissions, checkUserAgent } from '../doctor/local';
import { checkCallback, checkTokenAccepted } from '../doctor/remote';
import { checkNginx, checkTimers } from '../doctor/system';
import { HhOauthError } from '../errors';
import { hhClient, type HhClient } from '../hh/client';
import { paint, result } from '../output';
import type { StoredToken } from '../token/read';

/** Typed from the command's declaration (DOCTOR in src/cli/commands.ts). */
export type DoctorOptions = OptionsFor<typeof DOCTOR>;

/**
 * Runs every check in order (later ones read what earlier ones found), prints one
 * ✓/✗/– line each with a fix, and exits 0 only when none failed; otherwise with the
 * most serious failure's exit code (see worstFailure).
 */
export default async function doctor(opts: DoctorOptions): Promise<void> {
  const checks: CheckResult[] = [];
  const add = (c: CheckResult) => checks.push(c);

  let config: Config | undefined;
  try {
    config = loadConfig(opts);
  } catch (err) {
    add(failFrom('configuration', err));
  }

  let token: StoredToken | undefined;
  let client: HhClient | undefined;
  if (config) {
    const cfg = config;
    add(await guarded('configuration', () => checkConfiguration(cfg)));
    add(await guarded('user-agent', () => checkUserAgent(cfg)));
    const file = await checkTokenFile(cfg).catch((err: unknown) => ({ result: failFrom('token-file', err), token: undefined }));
    add(file.result);
    token = file.token;
    // The file's own checks for the file store; another store contributes its checks through the store.
    const store = await storeOf(cfg).catch(() => undefined);
    if (store?.kind === 'file') add(await guarded('token-permissions', async () => (await checkTokenPermissions(cfg.tokenFile())) ?? skip('token-permissions', 'not checked: no token file (or not a regular file)')));
    for (const check of (await store?.checks?.(cfg).catch((err: unknown) => [failFrom('store', err)])) ?? []) add(check);
    client = safeClient(cfg);
    const usable = token && client && checks.find((c) => c.name === 'configuration')?.ok;
    add(usable
      ? await guarded('token-accepted', () => checkTokenAccepted(cfg, client!, token!, opts.refresh !== false))
      : skip('token-accepted', 'not checked: needs a complete configuration and a valid token file (see above)'));
  } else {
    for (const name of ['user-agent', 'token-file', 'token-permissions', 'token-accepted']) add(skip(name, 'not checked: the configuration cannot be read'));
  }

  add(await guarded('timers', () => checkTimers(Boolean(opts.skipSystemd))));
  add(await guarded('nginx', () => checkNginx({ skip: opts.skipNginx, conf: opts.nginxConf })));
  add(config ? await guarded('callback', () => checkCallback(config!)) : skip('callback', 'not checked: the configuration cannot be read'));
  add(await guarded('clock', () => checkClock(client, config)));

  const ok = checks.every((c) => c.ok);
  result({ ok, checks }, render(checks));
  const worst = worstFailure(checks);
  if (worst) {
    const failed = checks.filter((c) => !c.ok).length;
    throw new HhOauthError(worst, `${failed} of ${checks.length} checks failed`, { answered: true, suggestion: 'apply the fixes listed above, then run `hh-oauth doctor` again' });
  }
}

function safeClient(config: Config): HhClient | undefined {
  try {
    config.userAgent();
    return hhClient(config);
  } catch {
    return undefined;
  }
}

/** From the /me answer when there was one; else one anonymous request, whose refusal still carries a Date. */
async function checkClock(client: HhClient | undefined, config: Config | undefined): Promise<CheckResult> {
  if (!client) return skip('clock', 'not checked: cannot talk to hh.ru without a valid configuration (see above)');
  let sample = client.serverDate();
  let reason = '';
  if (!sample) {
    await client.api('GET', '/me', '').catch((err: Error) => (reason = err.message));
    sample = client.serverDate();
  }
  if (!sample) return skip('clock', `not checked: no dated answer from hh.ru${reason ? ` (${reason})` : ''}`);
  const api = config?.get('HH_API_URL')?.value ?? '';
  const host = URL.canParse(api) ? new URL(api).host : 'hh.ru';
  return clockCheck(sample, `${host}'s answer`);
}

// Coloured through output.ts, which knows the journal, --json and NO_COLOR.
const MARK = { pass: () => paint('good', '✓'), fail: () => paint('bad', '✗'), skip: () => paint('muted', '–') };

function render(checks: CheckResult[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines = checks.flatMap((c) => {
    const line = `${MARK[c.status]()} ${c.name.padEnd(width)}  ${c.message}`;
    return c.fix ? [line, `  ${' '.repeat(width)}  ${paint('hint', 'fix:')} ${c.fix}`] : [line];
  });
  const count = (s: CheckResult['status']) => checks.filter((c) => c.status === s).length;
  // Not 'N passed, N failed' alone on a line: CI log readers take that for a test runner's summary.
  lines.push('', `checks: ${count('pass')} ok, ${count('fail')} failing, ${count('skip')} skipped`);
  return lines.join('\n');
}
