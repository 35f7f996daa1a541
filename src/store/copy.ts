import { storeError, toHhOauthError, type ErrorCode } from '../errors';
import { log } from '../output';
import { parseAppTokenFile } from '../token/app-token';
import { parseTokenFile } from '../token/record';
import { movedRecord } from './moved';
import type { Slot, SlotContent, TokenStore } from './store';

/**
 * `store copy`: every slot of one store into another, spending nothing. A refresh token
 * is single-use, so two live stores must not both hold it: for each slot, under the
 * source's lock and then the destination's, the pair is written to the destination, and
 * once that write is durable the source is marked moved (store/moved.ts) before its lock
 * is let go. Of two different pairs the newer stays live (obtained_at, else expires_at)
 * and the older is set aside, never overwritten: the destination's newer pair is not replaced. A crash between
 * the destination's write and the mark leaves two copies of the same pair; running copy
 * again finds the refresh token equal, writes nothing, and marks the source.
 */
export type CopyAction = 'copied' | 'already_copied' | 'kept_newer' | 'replaced_older' | 'already_moved' | 'failed';

export interface SlotCopy {
  profile: string | null;
  kind: Slot['kind'];
  action: CopyAction;
  from: string;
  to: string;
  error?: { code: ErrorCode; message: string };
}

export async function copySlot(from: TokenStore, to: TokenStore, slot: Slot, lockTimeout: number): Promise<SlotCopy> {
  const outcome: SlotCopy = { profile: slot.kind === 'app' ? null : slot.profile, kind: slot.kind, action: 'failed', from: from.locate(slot), to: to.locate(slot) };
  try {
    await from.write(slot, lockTimeout, async (source) => {
      const src = await source.reread();
      if (!src) throw storeError(`${outcome.from} was emptied during the copy`);
      if (src.movedTo) return void (outcome.action = 'already_moved');
      const mine = parsed(slot, src, outcome.from);
      await to.write(slot, lockTimeout, async (dest) => {
        const dst = await dest.reread();
        if (dst?.movedTo) throw storeError(`${outcome.to} is itself marked as moved to ${dst.movedTo}`, `copy to ${dst.movedTo} instead`);
        const theirs = dst ? parsed(slot, dst, outcome.to) : undefined;
        outcome.action = !theirs ? 'copied' : theirs.key === mine.key ? 'already_copied' : newer(mine, theirs) ? 'replaced_older' : 'kept_newer';
        if (outcome.action === 'replaced_older') await dest.setAside();
        if (outcome.action === 'copied' || outcome.action === 'replaced_older') await dest.put(mine.data);
      });
      // Only once the destination's write is durable (its COMMIT, its rename): a token file
      // source writes its mark at once, and a mark written before a destination COMMIT that
      // then failed would leave the pair in neither store. Still under the source's lock:
      // nothing refreshes from it in between; a crash here leaves two copies of one pair.
      if (outcome.action === 'kept_newer') {
        await source.setAside();
        log.warn(`${outcome.to} holds a newer pair than ${outcome.from}: it stays, and the older one is kept aside, not deleted`);
      }
      await source.put(movedRecord(to.describe()));
    });
  } catch (err) {
    const e = toHhOauthError(err);
    outcome.error = { code: e.code, message: e.message };
    log.warn(`${outcome.from}: not copied: ${outcome.error.message}`);
  }
  return outcome;
}

interface Parsed {
  data: Record<string, unknown>;
  /** What makes two copies the same: the refresh token (a user pair), the access token (the app token). */
  key: string;
  obtained?: number;
  expires: number;
}

/** Validated before anything is written: a damaged slot is left as it is (exit 7). */
function parsed(slot: Slot, content: SlotContent, location: string): Parsed {
  if (slot.kind === 'app') {
    const app = parseAppTokenFile(content.text, location);
    return { data: app.data, key: app.accessToken, obtained: app.obtainedAt?.getTime(), expires: content.updatedAt.getTime() };
  }
  const pair = parseTokenFile(content.text, content.updatedAt, location);
  // A legacy file's derived expiry is written out, so the copy keeps the same expiry without the file time.
  const data = pair.data.expires_at === undefined ? { ...pair.data, expires_at: pair.expiresAt.toISOString() } : pair.data;
  return { data, key: pair.refreshToken, obtained: pair.obtainedAt?.getTime(), expires: pair.expiresAt.getTime() };
}

/** Strictly newer: on a tie the destination's pair stays. */
function newer(a: Parsed, b: Parsed): boolean {
  if (a.obtained !== undefined && b.obtained !== undefined) return a.obtained > b.obtained;
  return a.expires > b.expires;
}
