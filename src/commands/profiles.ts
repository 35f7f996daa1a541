import type { GlobalOptions } from '../cli/global-options';
import { loadConfig } from '../config/config';
import { formatDuration, secondsLeft } from '../token/expiry';
import { log, result } from '../output';
import { compareProfileNames, DEFAULT_PROFILE } from '../config/profile-name';
import { forEachBounded, type ProfileInfo } from '../token/profiles';
import { inspectStored } from '../lifecycle/inspect';
import { storeOf } from '../lifecycle/stores';

/** `hh-oauth profiles`: every profile of the store with its state and expiry. Reads only; no network. */
export default async function profiles(opts: GlobalOptions): Promise<void> {
  const config = loadConfig(opts);
  const infos: ProfileInfo[] = [];
  const now = new Date();
  const store = await storeOf(config);
  await forEachBounded(store.list(), 8, async (entry) => {
    infos.push(await inspectStored(store, entry.name, now));
  });
  infos.sort((a, b) => compareProfileNames(a.name, b.name));

  const rows = infos.map((p) => ({
    name: p.name,
    default: p.name === DEFAULT_PROFILE,
    token_file: p.tokenFile,
    state: p.state,
    obtained_at: p.obtainedAt?.toISOString() ?? null,
    expires_at: p.expiresAt?.toISOString() ?? null,
    seconds_left: p.expiresAt ? Math.max(0, secondsLeft(p.expiresAt, now)) : null,
    manager_account: config.forProfile(p.name).get('HH_MANAGER_ACCOUNT_ID')?.value ?? null,
    ...(p.error ? { error: p.error } : {}),
  }));
  const file = store.kind === 'file';
  if (rows.length === 0) log.info(file ? `no profiles: neither ${config.defaultTokenFile()} nor ${config.profilesDir()}/*.json exists` : `no profiles stored in ${store.describe()}`);
  // Another store adds its location (fields are only added); token_dir and profiles_dir stay, for the files it would use.
  result({ token_dir: config.tokenDir(), profiles_dir: config.profilesDir(), ...(file ? {} : { store: store.describe() }), profiles: rows }, rows.length ? table(rows) : undefined);
}

function table(rows: Array<{ name: string; state: string; expires_at: string | null; seconds_left: number | null; manager_account: string | null }>): string {
  const lines = [['PROFILE', 'STATE', 'EXPIRES', 'LEFT', 'MANAGER']];
  for (const r of rows) {
    lines.push([r.name, r.state, r.expires_at ?? '-', r.seconds_left === null ? '-' : formatDuration(r.seconds_left), r.manager_account ?? '-']);
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((cell, i) => (i === l.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}
