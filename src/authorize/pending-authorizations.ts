import { openConfFile } from '../config/conf-files';

/**
 * Authorizations started by `authorize-url` and not yet exchanged. `exchange` needs
 * the state (CSRF check) and the byte-identical redirect_uri (hh.ru compares strings).
 */
export interface PendingAuth {
  state: string;
  redirect_uri: string | null;
  created_at: string;
  /** The profile authorize-url was run for, when one was chosen: exchange stores the token there. */
  profile?: string;
}

type Entries = Record<string, PendingAuth>;
export const PENDING_TTL_MS = 15 * 60 * 1000;

const alive = (p: PendingAuth, now: number) => now - Date.parse(p.created_at) < PENDING_TTL_MS;

export async function savePending(entry: PendingAuth): Promise<void> {
  const file = await openConfFile<{ pending: Entries }>('pending');
  const now = Date.now();
  const kept = Object.fromEntries(Object.entries(file.get('pending') ?? {}).filter(([, p]) => alive(p, now)));
  file.set('pending', { ...kept, [entry.state]: entry });
}

/** The pending authorization for this state, or the newest one when no state is known. */
export async function findPending(state: string | undefined): Promise<PendingAuth | undefined> {
  const file = await openConfFile<{ pending: Entries }>('pending');
  const now = Date.now();
  const live = Object.values(file.get('pending') ?? {}).filter((p) => alive(p, now));
  if (state !== undefined) return live.find((p) => p.state === state);
  return live.sort((a, b) => b.created_at.localeCompare(a.created_at))[0];
}

export async function forgetPending(state: string): Promise<void> {
  const file = await openConfFile<{ pending: Entries }>('pending');
  const { [state]: _gone, ...rest } = file.get('pending') ?? {};
  file.set('pending', rest);
}
