import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/config';
import { errnoCode, HhOauthError, storeError } from '../errors';
import { isDue } from './expiry';
import { log } from '../output';
import { DEFAULT_PROFILE, profileFromFileName } from '../config/profile-name';
import { readToken } from './read';
import { isCorruptError } from './record';
import { isMovedError } from '../store/moved';

/**
 * Finding the profiles on disk. The listing is streamed (opendir) so that a directory
 * of ten thousand profiles costs a directory buffer, not an array of every entry.
 */
export interface ProfileEntry {
  name: string;
  tokenFile: string;
}

/** The default file first (when it exists), then every `profiles/NAME.json`, each name once. */
export async function* listProfiles(config: Config): AsyncGenerator<ProfileEntry> {
  const defaultFile = config.defaultTokenFile();
  if (await exists(defaultFile)) yield { name: DEFAULT_PROFILE, tokenFile: defaultFile };

  const dir = config.profilesDir();
  let handle;
  try {
    handle = await opendir(dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw storeError(`cannot list the profiles in ${dir} (${errnoCode(err) ?? 'error'})`, 'run as the user that owns the token directory, or fix its permissions', err);
  }
  // Names are remembered because readdir may return a file twice when it is replaced
  // (renamed over) during the listing, which is exactly what refreshing does.
  const seen = new Set<string>();
  for await (const entry of handle) {
    const name = profileFromFileName(entry.name);
    if (name === undefined) {
      if (entry.name === `${DEFAULT_PROFILE}.json`) log.warn(`${join(dir, entry.name)} is ignored: the default profile is ${defaultFile}`);
      continue;
    }
    if (seen.has(name)) continue;
    seen.add(name);
    yield { name, tokenFile: join(dir, entry.name) };
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw storeError(`cannot look at ${path} (${errnoCode(err) ?? 'error'})`, 'run as the user that owns the token file, or fix its permissions', err);
  }
}

/** The `status` vocabulary, plus `unreadable` for a file this user may not read, and `moved` (`store copy`). */
export type ProfileState = 'valid' | 'expired-refreshable' | 'missing' | 'corrupt' | 'unreadable' | 'moved';

export interface ProfileInfo extends ProfileEntry {
  state: ProfileState;
  obtainedAt?: Date;
  expiresAt?: Date;
  /** expires_at was derived from the file time (the old bash tooling). */
  legacy?: boolean;
  error?: string;
  /** The error behind `error`, for a caller that reports it (status). */
  cause?: HhOauthError;
}

/** Reads one profile's file without changing anything (no mode tightening, no lock). */
export async function inspectProfile(entry: ProfileEntry, now = new Date()): Promise<ProfileInfo> {
  try {
    const token = await readToken(entry.tokenFile, { tighten: false });
    if (!token) return { ...entry, state: 'missing' };
    return {
      ...entry,
      state: isDue(token.expiresAt, now) ? 'expired-refreshable' : 'valid',
      obtainedAt: token.obtainedAt,
      expiresAt: token.expiresAt,
    };
  } catch (err) {
    if (!(err instanceof HhOauthError)) throw err;
    return { ...entry, state: profileErrorState(err), error: err.message };
  }
}

/** The state a profile that cannot be read is in: damaged, moved by `store copy`, or not ours to read. */
export function profileErrorState(err: unknown): ProfileState {
  return isCorruptError(err) ? 'corrupt' : isMovedError(err) ? 'moved' : 'unreadable';
}

/**
 * Runs fn over a stream with at most `limit` calls in flight; fn must not reject.
 * Once stop() says so, no new call starts; the ones in flight run to their end.
 * When the stream throws, the calls in flight still run to their end before the error
 * goes up: a refresh in flight may have spent its refresh token, and giving up on it
 * (a caller that exits, or drops its signal guard) would lose the new pair.
 */
export async function forEachBounded<T>(items: AsyncIterable<T>, limit: number, fn: (item: T) => Promise<void>, stop: () => boolean = () => false): Promise<void> {
  const running = new Set<Promise<void>>();
  try {
    for await (const item of items) {
      if (stop()) break;
      const task: Promise<void> = fn(item).finally(() => running.delete(task));
      running.add(task);
      if (running.size >= limit) await Promise.race(running);
    }
  } catch (err) {
    await Promise.allSettled(running);
    throw err;
  }
  const settled = await Promise.allSettled(running);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
}
