import type { Config } from '../config/config';
import { openStoreAt, type Slot, type SlotContent, type TokenStore } from '../store/store';
import { closeOpenStores, closeWhenDone } from '../store/closing';
import { movedError } from '../store/moved';
import { parseTokenFile } from '../token/record';
import type { StoredToken } from '../token/read';

/**
 * The store a command's config selects, and a user pair read from it. The file store is
 * made anew for each config (it holds nothing but the config's paths, and refresh --all
 * hands each profile its own config); any other store is opened once per process and
 * value of HH_TOKEN_STORE, since it holds connections: ten thousand profiles share one pool.
 */
const opened = new Map<string, Promise<TokenStore>>();

export function storeOf(config: Config): Promise<TokenStore> {
  const value = config.get('HH_TOKEN_STORE')?.value.trim() ?? '';
  if (value === '') return openStoreAt(config, '');
  let store = opened.get(value);
  if (!store) {
    store = openStoreAt(config, value);
    // A refused value is not remembered: the error is the caller's, every time.
    store.then((s) => closeWhenDone(() => s.close()), () => opened.delete(value));
    opened.set(value, store);
  }
  return store;
}

/** For a long-running process (a worker) that is done: connections closed, the process may exit. */
export async function closeStores(): Promise<void> {
  opened.clear();
  await closeOpenStores();
}

export const userSlot = (config: Config): Slot => ({ profile: config.profileName(), kind: 'user' });
export const APP_SLOT: Slot = { profile: '', kind: 'app' };

/** A slot's content as a user pair: a moved slot is a configuration error naming the new store (exit 3). */
export function userToken(store: TokenStore, slot: Slot, content: SlotContent | null): StoredToken | null {
  if (!content) return null;
  const location = store.locate(slot);
  if (content.movedTo) throw movedError(location, { movedTo: content.movedTo });
  const record = parseTokenFile(content.text, content.updatedAt, location);
  // Another store has no file: its rows are the database's to protect, shown as the 0600 a token file should have.
  const file = content.file ?? { mode: 0o600, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  return { ...record, path: location, mode: file.mode & 0o640, uid: file.uid, gid: file.gid };
}

/** The pair in the config's slot as it is now (no lock; a kept pair put in place), null when there is none. */
export async function readUserToken(config: Config, opts: { inspect?: boolean } = {}): Promise<StoredToken | null> {
  const store = await storeOf(config);
  const slot = userSlot(config);
  return userToken(store, slot, await store.read(slot, opts));
}
