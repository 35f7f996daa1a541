import { lstatSync, statSync, type Stats } from 'node:fs';
import type { QuickHandle } from '../files/quick-fs';
import { readSystemEnvFile } from '../config/env-file';
import { configError, errnoCode, storeError } from '../errors';
import { log } from '../output';
import { groupId } from '../system/accounts';
import { describeUser, userArg } from './trusted-dir';

/**
 * Who owns what hh-oauth creates in a token directory: the token file, profiles/ and
 * profile files, the app-token file, kept pairs, temp files, the lock. Never copied from
 * a file someone else owned there before (a user who pre-creates token.json must not
 * get the next token):
 *
 * - the user who runs hh-oauth, or, when root writes into a directory owned by another
 *   user (the service user's state directory, which `install-units` makes), that user:
 *   a root operator's `login` or `refresh` then leaves files the service can use;
 * - the group HH_TOKEN_GROUP with mode 0640 (directories 0750), when it is set (in the
 *   process environment, as the unit sets it, or in the system settings file, which root's
 *   shell reads); else, when root writes for the directory's owner, the directory's group,
 *   with 0640 (0750) when that directory lets its group in (install-units' 0750 in the token
 *   group) and 0600 (0700) when not: what the service itself would have made there;
 * - a replacement of a token file that already belongs to that same owner keeps its group
 *   and its 0600/0640 (a bot in that group keeps reading it, also when root's own
 *   environment lacks HH_TOKEN_GROUP).
 *
 * chown only where it changes something: the unit runs with Group= set to the token group,
 * and its system call filter refuses chown.
 */
export interface StoreOwner {
  /** The owner of everything created here. */
  uid: number;
  /** Its group; undefined leaves the kernel's choice (our group, or a setgid directory's). */
  gid: number | undefined;
  /** HH_TOKEN_GROUP, when set (files 0640, directories 0750). */
  tokenGroup: string | undefined;
  /** The group may read what is created (0640, 0750): HH_TOKEN_GROUP, or a directory that lets its group in. */
  groupReads: boolean;
  fileMode: number;
  dirMode: number;
  /** True when root writes for the directory's owner. */
  forOwner: boolean;
  /** Users whose files in this directory are the store's own (kept pairs): this user, root, the directory's owner. */
  writers: number[];
}

/** The decision itself, from ids alone. */
export function decideStoreOwner(me: number, dir: { uid: number; gid: number; mode?: number }, tokenGroup?: { name: string; gid: number }): StoreOwner {
  const forOwner = me === 0 && dir.uid !== 0;
  const uid = forOwner ? dir.uid : me;
  const gid = tokenGroup?.gid ?? (forOwner ? dir.gid : undefined);
  // Only the directory's owner (or root) can give it a group and g+x: root then writes as that
  // owner would, and grants nobody a read the owner could not grant herself.
  const groupReads = tokenGroup !== undefined || (forOwner && ((dir.mode ?? 0) & 0o010) !== 0);
  return {
    uid,
    gid,
    tokenGroup: tokenGroup?.name,
    groupReads,
    fileMode: groupReads ? 0o640 : 0o600,
    dirMode: groupReads ? 0o750 : 0o700,
    forOwner,
    writers: [...new Set([me, 0, dir.uid])],
  };
}

/**
 * HH_TOKEN_GROUP resolved, or a config error naming the group that does not exist. From the
 * process environment (the unit's Environment=), else from the system settings file, which
 * is root's or trusted (env-file.ts): never from an --env-file or config.json that another
 * user may have written. Read on the write path only, never at the start of a run.
 */
export function tokenGroup(): { name: string; gid: number } | undefined {
  const name = process.env.HH_TOKEN_GROUP ?? systemTokenGroup();
  if (!name) return undefined;
  const gid = groupId(name);
  if (gid === undefined) throw configError(`HH_TOKEN_GROUP names the group "${name}", which does not exist`, `create it (groupadd --system ${name}) or unset HH_TOKEN_GROUP`);
  return { name, gid };
}

/** Read once per process (a write asks for the owner several times), per path (tests move it). */
let fromSystemFile: { path: string | undefined; name: string | undefined } | undefined;
function systemTokenGroup(): string | undefined {
  const path = process.env.HH_SYSTEM_ENV_FILE;
  if (!fromSystemFile || fromSystemFile.path !== path) fromSystemFile = { path, name: readSystemEnvFile()?.values.HH_TOKEN_GROUP };
  return fromSystemFile.name;
}

/** The owner for what is created in dir (which exists). */
export function storeOwner(dir: string): StoreOwner {
  let st: Stats;
  try {
    st = statSync(dir);
  } catch (err) {
    throw storeError(`cannot examine the token directory ${dir} (${errnoCode(err) ?? 'error'})`, 'check HH_TOKEN_FILE and the permissions of its directory', err);
  }
  return decideStoreOwner(process.getuid?.() ?? -1, st, tokenGroup());
}

/**
 * With HH_TOKEN_GROUP, the group must be able to enter the directory to read the file: say so
 * when it cannot (an older state directory, 0700). Not changed here: the directory is its
 * owner's, and systemd's StateDirectoryMode= sets it at the service's next start anyway.
 */
export function warnIfGroupKeptOut(dir: string, owner: StoreOwner): void {
  if (!owner.tokenGroup || owner.gid === undefined) return;
  const st = statSync(dir, { throwIfNoEntry: false });
  if (!st) return;
  const mode = st.mode & 0o777;
  if (mode & 0o001 || (st.gid === owner.gid && mode & 0o010)) return;
  const chgrp = st.gid === owner.gid ? '' : `chgrp ${owner.tokenGroup} ${dir} && `;
  log.warn(`members of ${owner.tokenGroup} cannot enter ${dir} (mode 0${mode.toString(8)}), so they cannot read the token file in it: \`${chgrp}chmod 0${((mode & 0o700) | 0o050).toString(8)} ${dir}\``);
}

/**
 * Gives a new token-like file (the temp file that becomes `path`, or a copy of it) to the
 * store's owner, its group and mode. Before any grant is spent: a failure here costs nothing.
 */
export async function giveToStore(handle: Pick<QuickHandle, 'stat' | 'chown' | 'chmod'>, path: string, owner: StoreOwner): Promise<void> {
  let gid = owner.gid;
  let mode = owner.fileMode;
  let keptGroup = false;
  if (!owner.groupReads) {
    const old = lstatQuietly(path);
    if (old?.isFile() && old.uid === owner.uid) {
      gid = old.gid;
      mode = old.mode & 0o040 ? 0o640 : 0o600;
      keptGroup = true;
    }
  }
  let stayedRoots = false;
  let lostGroup = false;
  const st = await handle.stat();
  if (st.uid !== owner.uid || (gid !== undefined && st.gid !== gid)) {
    await handle.chown(st.uid === owner.uid ? -1 : owner.uid, gid ?? -1).catch((err: unknown) => {
      const code = errnoCode(err) ?? 'error';
      // The group of the file it replaces, kept as a courtesy: not worth failing over. But the
      // group the file got instead (ours, or a setgid directory's) never gets the old group's read.
      if (keptGroup && st.uid === owner.uid) {
        lostGroup = true;
        return log.warn(`cannot keep group ${gid} on ${path} (${code}); the new file is readable by its owner only (mode 0600)`);
      }
      if (owner.tokenGroup && st.uid === owner.uid) {
        throw storeError(`cannot give the token file to the group ${owner.tokenGroup} (${code})`, `the user writing it must belong to ${owner.tokenGroup} (the unit sets Group=${owner.tokenGroup})`, err);
      }
      if (owner.forOwner) {
        // Root without CAP_CHOWN, or a directory owner that this user namespace does not map
        // (a rootless container): the file stays root's, as it always was, and private.
        stayedRoots = true;
        return log.warn(`cannot give ${path} to ${describeUser(owner.uid)}, who owns its directory (${code}); it stays root's: \`chown ${userArg(owner.uid)} ${path}\` once it is written, or run as that user`);
      }
      throw storeError(`cannot give ${path} to ${describeUser(owner.uid)} (${code}); nothing was sent to hh.ru`, `run as that user (e.g. \`sudo -u ${userArg(owner.uid)} hh-oauth …\`)`, err);
    });
  }
  await handle.chmod(stayedRoots || lostGroup ? 0o600 : mode);
}

function lstatQuietly(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
