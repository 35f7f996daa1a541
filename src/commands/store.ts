import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { GlobalOptions } from '../cli/global-options';
import type { STORE_COPY } from '../cli/commands';
import type { OptionsFor } from '../cli/spec';
import { loadConfig, type Config } from '../config/config';
import { HhOauthError, mostSerious, usageError, type ErrorCode } from '../errors';
import { log, result } from '../output';
import { copySlot, type SlotCopy } from '../store/copy';
import { hasPassword, withoutPassword } from '../store/dsn';
import { fileStore } from '../store/file-store';
import { isPostgresDsn, openStoreAt, type TokenStore } from '../store/store';
import { APP_SLOT, storeOf } from '../lifecycle/stores';

export type StoreCopyOptions = OptionsFor<typeof STORE_COPY>;

/** `hh-oauth store init`: what the selected store needs, created or migrated (the file store: nothing). */
export async function init(opts: GlobalOptions): Promise<void> {
  // Closed with the other stores of the run, once the command is done (store/closing.ts).
  const store = await storeOf(loadConfig(opts));
  const done = store.init ? await store.init() : `${store.describe()} needs nothing created`;
  log.info(done);
  result({ status: 'ready', kind: store.kind, store: store.describe(), message: done });
}

/**
 * `hh-oauth store copy --from A --to B`: every profile, then the app token, one slot at a
 * time (store/copy.ts). Exit 0 when every slot is in B; otherwise the most serious failure,
 * with the slots that failed left as they were (running copy again takes up the rest).
 */
export async function copy(opts: StoreCopyOptions): Promise<void> {
  const config = loadConfig(opts);
  const from = await storeNamed(config, opts.from, '--from');
  const to = await storeNamed(config, opts.to, '--to');
  try {
    if (from.describe() === to.describe()) throw usageError(`--from and --to are the same store (${from.describe()})`);
    const timeout = config.seconds('HH_LOCK_TIMEOUT');
    const slots: SlotCopy[] = [];
    for await (const entry of from.list()) slots.push(await copySlot(from, to, { profile: entry.name, kind: 'user' }, timeout));
    if (await from.read(APP_SLOT, { inspect: true })) slots.push(await copySlot(from, to, APP_SLOT, timeout));
    report(from, to, slots);
  } finally {
    await Promise.allSettled([from.close(), to.close()]);
  }
}

function report(from: TokenStore, to: TokenStore, slots: SlotCopy[]): void {
  const count = (action: SlotCopy['action']) => slots.filter((s) => s.action === action).length;
  const failed = slots.filter((s) => s.error);
  const line = `store copy: ${slots.length - failed.length} of ${slots.length} slots now live in ${to.describe()} (${count('copied')} copied, ${count('already_copied')} already there, ${count('kept_newer')} kept the destination's newer pair, ${count('replaced_older')} replaced an older pair, ${count('already_moved')} moved before); ${from.describe()} is marked moved`;
  log.info(line);
  result({ status: failed.length ? 'partial' : 'copied', from: from.describe(), to: to.describe(), slots }, slots.map((s) => `${s.profile ?? '(app token)'}: ${s.action}`).join('\n') || 'nothing to copy');
  const worst = mostSerious(new Set<ErrorCode>(failed.map((s) => s.error!.code)));
  if (worst) {
    throw new HhOauthError(worst, `${failed.length} of ${slots.length} slots were not copied: ${failed.slice(0, 5).map((s) => s.profile ?? 'the app token').join(', ')}`, {
      answered: true,
      suggestion: 'fix what the warnings above say, then run the same `hh-oauth store copy` again (what was copied is not copied twice)',
    });
  }
}

/**
 * A store named on the command line. A DSN carries no password here (argv is readable by
 * every user of the machine): PGPASSFILE or the environment gives it. A file is a token
 * file as HH_TOKEN_FILE names it, or a directory, meaning its token.json; its profiles/ and
 * app-token.json (or HH_APP_TOKEN_FILE, for the configured token file) come along.
 */
async function storeNamed(config: Config, value: string | undefined, flag: string): Promise<TokenStore> {
  if (!value) throw usageError(`store copy needs ${flag}`, 'give --from and --to: a token file, its directory, or a postgres:// DSN');
  if (isPostgresDsn(value)) {
    if (hasPassword(value)) throw usageError(`${flag}: the DSN carries a password, which must never be on a command line (${withoutPassword(value)})`, 'remove it from the DSN and put it in PGPASSFILE, or in the environment');
    return openStoreAt(config, value);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw usageError(`${flag}: not a store hh-oauth knows (a token file, its directory, or a postgres:// DSN)`);
  let file = resolve(value);
  if (value.endsWith('/') || (existsSync(file) && statSync(file).isDirectory())) file = join(file, 'token.json');
  // A new name could mean a file or a directory: it is not guessed.
  else if (!existsSync(file) && !file.endsWith('.json')) throw usageError(`${flag}: ${file} does not exist`, `for a new directory give ${file}/, for a new token file a name ending in .json`);
  const configured = file === config.defaultTokenFile();
  return fileStore(config.withFlags({ HH_TOKEN_FILE: file, HH_APP_TOKEN_FILE: configured ? config.get('HH_APP_TOKEN_FILE')?.value : join(file, '..', 'app-token.json') }));
}
