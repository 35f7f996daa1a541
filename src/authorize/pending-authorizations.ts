import { openConfFile } from '../config/conf-files';

/**
 * Authorizations started by `authorize-url` and not yet exchanged. `exchange` needs
 * the state (CSRF check) and the byte-identical redirect_uri (hh.ru compares strings).
 * An authorization whose code was spent stays for the rest of its 15 minutes, marked
 * used, so that pasting its callback again says so instead of "unknown state".
 */
export interface PendingAuth {
  state: string;
  redirect_uri: string | null;
  created_at: string;
  /** The profile authorize-url was run for, when one was chosen: exchange stores the token there. */
  profile?: string;
  /** When its code was spent (exchanged, or refused by hh.ru as used or expired). */
  used_at?: string;
}

type Entries = Record<string, PendingAuth>;
export const PENDING_TTL_MS = 15 * 60 * 1000;

const alive = (p: PendingAuth, now: number) => now - Date.parse(p.created_at) < PENDING_TTL_MS;

async function liveEntries(): Promise<PendingAuth[]> {
  const file = await openConfFile<{ pending: Entries }>('pending');
  const now = Date.now();
  return Object.values(file.get('pending') ?? {}).filter((p) => alive(p, now));
}

export async function savePending(entry: PendingAuth): Promise<void> {
  const file = await openConfFile<{ pending: Entries }>('pending');
  const now = Date.now();
  const kept = Object.fromEntries(Object.entries(file.get('pending') ?? {}).filter(([, p]) => alive(p, now)));
  file.set('pending', { ...kept, [entry.state]: entry });
}

/** The authorization with this state, used or not, while it is younger than 15 minutes. */
export async function findPending(state: string): Promise<PendingAuth | undefined> {
  return (await liveEntries()).find((p) => p.state === state);
}

/** The most recent authorization whose code has not been spent. */
export async function newestPending(): Promise<PendingAuth | undefined> {
  return (await liveEntries()).filter((p) => p.used_at === undefined).sort((a, b) => b.created_at.localeCompare(a.created_at))[0];
}

export async function markUsed(state: string): Promise<void> {
  const file = await openConfFile<{ pending: Entries }>('pending');
  const entries = file.get('pending') ?? {};
  const entry = entries[state];
  if (entry) file.set('pending', { ...entries, [state]: { ...entry, used_at: new Date().toISOString() } });
}
