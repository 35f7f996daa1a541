import { lstatSync, readdirSync, renameSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Config } from '../../config/config';
import { readCapped } from '../../files/capped-read';
import { READ_LIMITS } from '../../files/read-limits';
import { sha256Hex } from '../../files/sha256';
import { isCompleteWrite } from '../../token/kept-pair';
import { randomHex } from '../../lock/random-hex';
import { syncDir } from '../../token/directory';
import { errnoCode } from '../../errors';
import { storeOwner } from '../../token/ownership';
import { assertTrustedDir, describeUser } from '../../token/trusted-dir';
import { storeError } from '../../errors';
import type { Slot } from '../store';

/**
 * The PostgreSQL store's local kept pairs: the file store's own mechanism (token/
 * reservation.ts and kept-pair.ts) pointed at a file under the state directory, so that a
 * pair hh.ru issued is on local disk, fsynced, before the COMMIT that may fail:
 *
 *   <token dir>/postgres-kept/<database>/user-<profile>.v<N>.json   (app.v<N>.json)
 *
 * N is the row's version the pair replaces, as the file store names a kept pair after the
 * content it replaces. Under the row lock, a file for the row's current version is a pair
 * that never reached the database: it is put in place (index.ts). A file for another
 * version is one the database already moved past (its COMMIT went through, or a newer pair
 * was stored since) and is removed.
 */
export function keptDir(config: Config, targetName: string): string {
  return join(config.tokenDir(), 'postgres-kept', sha256Hex(Buffer.from(targetName)).slice(0, 16));
}

export const slotFileName = (slot: Slot): string => (slot.kind === 'app' ? 'app' : `user-${slot.profile}`);

export function keptPath(dir: string, slot: Slot, version: number): string {
  return join(dir, `${slotFileName(slot)}.v${version}.json`);
}

/**
 * The claimed file of one write: unique to the writer, not the file store's one name per
 * content. The row lock that makes a writer the only one can go while the writer lives (its
 * session ended during the grant: a server restart, idle_in_transaction_session_timeout),
 * and another run on this host must then never take the live writer's file for a dead
 * run's, nor claim the same name: hh.ru's answer is about to be written into it.
 */
export async function keptTempPath(dir: string, slot: Slot, version: number): Promise<string> {
  return join(dir, `.${slotFileName(slot)}.v${version}.json.${await randomHex(8)}.tmp`);
}

/** The versions with a file (a kept pair, or its temp file) for this slot. */
export function keptVersions(dir: string, slot: Slot): number[] {
  const prefix = slotFileName(slot);
  const found = new Set<number>();
  for (const name of list(dir)) {
    const m = /^\.?(.+)\.v(\d+)\.json(\.[0-9a-f]{16}\.tmp)?$/.exec(name);
    if (m && m[1] === prefix) found.add(Number(m[2]));
  }
  return [...found].sort((a, b) => a - b);
}

/** Every slot with a kept file, for the sweep at the start of a run. */
export function keptSlots(dir: string): Slot[] {
  const slots = new Map<string, Slot>();
  for (const name of list(dir)) {
    const m = /^\.?(user-(.+)|app)\.v\d+\.json/.exec(name);
    if (!m) continue;
    slots.set(m[1]!, m[1] === 'app' ? { profile: '', kind: 'app' } : { profile: m[2]!, kind: 'user' });
  }
  return [...slots.values()];
}

/**
 * The slots with a pair on disk (a kept pair, or a complete claimed file), for doctor: a
 * claimed file still blank (its run was killed before hh.ru answered) holds no pair, and
 * stays until the row moves past its version.
 */
export function keptPairSlots(dir: string): Slot[] {
  return keptSlots(dir).filter((slot) =>
    list(dir).some((name) => {
      const m = /^\.?(.+)\.v\d+\.json(\.[0-9a-f]{16}\.tmp)?$/.exec(name);
      if (!m || m[1] !== slotFileName(slot)) return false;
      const read = readCapped(join(dir, name), READ_LIMITS.tokenFile);
      return !read.ok ? read.why !== 'missing' : isCompleteWrite(read.bytes.toString('utf8'));
    }),
  );
}

/**
 * The other databases' directories beside this one that hold kept pairs. The directory is
 * named after how HH_TOKEN_STORE names the database (user@host:port/database): a pair kept
 * under `localhost` is not found once the setting says `127.0.0.1`, or another user.
 */
export function otherKeptDirs(dir: string): string[] {
  const parent = dirname(dir);
  return list(parent)
    .map((name) => join(parent, name))
    .filter((other) => other !== dir && keptSlots(other).length > 0);
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * The kept pair for this version, settled as the file store settles one (a complete temp
 * file renamed into place, an incomplete one removed, a file hh-oauth did not write
 * refused): its record, or undefined.
 */
export async function takeKept(dir: string, slot: Slot, version: number): Promise<Record<string, unknown> | undefined> {
  const path = keptPath(dir, slot, version);
  // As the token file's directory is (token-lock.ts): in a directory another user made (a
  // state directory shared like /tmp), her "kept pair" would be put over the row's live one.
  // Both levels this store adds (postgres-kept/ and its database's directory).
  const uid = lstatSync(path, { throwIfNoEntry: false })?.uid;
  for (const level of [dirname(dir), dir]) assertTrustedDir(level, path, uid);
  const writers = storeOwner(dir).writers;
  await settleTemps(dir, slot, version, path, writers);
  const read = readCapped(path, READ_LIMITS.tokenFile);
  if (!read.ok && read.why === 'missing') return undefined;
  // Adopted only as hh-oauth writes it (kept-pair.ts's rule): a regular file, of one of the
  // store's writers, that nobody else may write. Passing it over would spend a superseded token.
  const refuse = (what: string) =>
    storeError(
      `${path} ${what}: hh-oauth keeps a token pair that never reached the database under that name, but never in a file like this one, so it is not adopted; nothing was sent to hh.ru`,
      `if you did not put it there, remove it (\`rm ${path}\`) and run again; if it is a pair hh-oauth kept, make it this user's and mode 0600 (\`chmod 600 ${path}\`)`,
    );
  if (!read.ok) throw refuse(read.problem);
  if (!writers.includes(read.info.uid)) throw refuse(`belongs to ${describeUser(read.info.uid)}`);
  if (read.info.mode & 0o022) throw refuse(`can be written by group or others (mode 0${(read.info.mode & 0o777).toString(8)})`);
  const text = read.bytes.toString('utf8');
  if (!isCompleteWrite(text)) return undefined;
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * This version's claimed files (keptTempPath): a complete one (its writer was killed between
 * its write and its rename) is put in place, held to the kept pair's rules; an incomplete one
 * is left, for its writer may be alive (keptTempPath). They go with dropKept, once the row has
 * moved past the version: by then that writer's grant cannot have been answered (hh.ru took
 * the row's refresh token from whoever moved it), or its pair was already on disk, complete.
 */
async function settleTemps(dir: string, slot: Slot, version: number, path: string, writers: number[]): Promise<void> {
  const prefix = `.${slotFileName(slot)}.v${version}.json.`;
  for (const name of list(dir)) {
    if (!name.startsWith(prefix) || !/^[0-9a-f]{16}\.tmp$/.test(name.slice(prefix.length))) continue;
    const temp = join(dir, name);
    const read = readCapped(temp, READ_LIMITS.tokenFile);
    if (!read.ok && read.why === 'missing') continue;
    if (!read.ok) throw refused(temp, read.problem);
    if (!writers.includes(read.info.uid)) throw refused(temp, `belongs to ${describeUser(read.info.uid)}`);
    if (read.info.mode & 0o022) throw refused(temp, `can be written by group or others (mode 0${(read.info.mode & 0o777).toString(8)})`);
    if (!isCompleteWrite(read.bytes.toString('utf8'))) continue;
    try {
      renameSync(temp, path);
    } catch (err) {
      throw storeError(`a token pair that never reached the database is kept in ${temp}, but it cannot be put in place as ${path} (${errnoCode(err) ?? 'error'})`, `fix the directory's permissions, then run again (or \`mv ${temp} ${path}\`); nothing was sent to hh.ru`, err);
    }
    await syncDir(dir);
  }
}

/**
 * After a kept pair of version v was stored (committed as v+1) by a run that did not spend
 * it: a run that lost its session may still be spending that pair's refresh token (it
 * adopted the pair in its own transaction, and names its claimed file after v, the version
 * its rollback went back to). hh.ru's answer to it replaces the row's content of v+1, so
 * version v's claimed files are carried to v+1 (the writer's own rename then fails, and its
 * complete file is put in place at the next run), and a pair that writer has already put
 * at v's name (not the stored one) goes to v+1's. Only the stored pair itself is removed.
 * The claims are carried first: once they are, nobody can put a file at v's name (a writer
 * that claims a file after this run took the row finds its session gone and spends nothing).
 */
export async function moveOnFromAdopted(dir: string, slot: Slot, version: number, storedRefreshToken: unknown): Promise<void> {
  const from = `.${slotFileName(slot)}.v${version}.json.`;
  const to = `.${slotFileName(slot)}.v${version + 1}.json.`;
  for (const name of list(dir)) {
    if (!name.startsWith(from) || !/^[0-9a-f]{16}\.tmp$/.test(name.slice(from.length))) continue;
    try {
      renameSync(join(dir, name), join(dir, to + name.slice(from.length)));
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
  }
  const path = keptPath(dir, slot, version);
  // Straight to a claimed file of v+1: a run that takes the row meanwhile sees it there.
  const grabbed = join(dir, `${to}${await randomHex(8)}.tmp`);
  try {
    renameSync(path, grabbed);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return syncDir(dir);
    throw err;
  }
  const read = readCapped(grabbed, READ_LIMITS.tokenFile);
  let stored = false;
  if (read.ok && isCompleteWrite(read.bytes.toString('utf8'))) stored = (JSON.parse(read.bytes.toString('utf8')) as Record<string, unknown>).refresh_token === storedRefreshToken;
  if (stored) await unlink(grabbed).catch(() => undefined);
  await syncDir(dir);
}

/** A file under a kept-pair name that hh-oauth did not write: never adopted (kept-pair.ts's rule). */
function refused(path: string, what: string): Error {
  return storeError(
    `${path} ${what}: hh-oauth keeps a token pair that never reached the database under that name, but never in a file like this one, so it is not adopted; nothing was sent to hh.ru`,
    `if you did not put it there, remove it (\`rm ${path}\`) and run again; if it is a pair hh-oauth kept, make it this user's and mode 0600 (\`chmod 600 ${path}\`)`,
  );
}

/** Removes a version's kept pair (and any temp file of it): after its COMMIT, or when the row has moved past it. */
export async function dropKept(dir: string, slot: Slot, version: number): Promise<void> {
  const path = keptPath(dir, slot, version);
  const prefix = `.${slotFileName(slot)}.v${version}.json.`;
  await unlink(path).catch(() => undefined);
  // Exactly its temp files (Reservation's `.<name>.<16 hex>.tmp`): a profile name may itself
  // hold `.v1.json.` (shop.v1.json.eu), and its files begin with this prefix too.
  for (const name of list(dir)) if (name.startsWith(prefix) && /^[0-9a-f]{16}\.tmp$/.test(name.slice(prefix.length))) await unlink(join(dir, name)).catch(() => undefined);
}
