import { lstatSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../config/config';
import { readCapped } from '../files/capped-read';
import { READ_LIMITS } from '../files/read-limits';
import { appTokenFile } from '../token/app-token';
import { discardToken } from '../token/discard';
import { keptPairPath } from '../token/kept-pair';
import { listProfiles } from '../token/profiles';
import { refusedRead, tightenMode } from '../token/read';
import { parseTokenFile } from '../token/record';
import { withTokenLock } from '../token/token-lock';
import { assertTrustedDir } from '../token/trusted-dir';
import { TokenWrite } from '../token/write';
import { movedMark } from './moved';
import type { Slot, SlotContent, SlotWrite, TokenStore } from './store';

/**
 * The token file store: the default, and the only store the hot path reads (directly).
 * It adds nothing to the token/ modules, it only names them per slot: a profile's file
 * (config.tokenFile()), the app token's file (HH_APP_TOKEN_FILE), the write protocol
 * (TokenWrite), the listing (profiles.ts), discard.ts. describe() is the default token
 * file: what HH_TOKEN_FILE names, and what `store copy --from FILE` takes. It has no
 * checks(): doctor's file checks (token-permissions) are doctor's own, run for this store
 * only, so that the hot bundle, which carries this module, carries no doctor code.
 */
export function fileStore(config: Config): TokenStore {
  const lockTimeout = () => config.seconds('HH_LOCK_TIMEOUT');
  const locate = (slot: Slot): string => (slot.kind === 'app' ? appTokenFile(config) : config.forProfile(slot.profile).tokenFile());

  return {
    kind: 'file',
    describe: () => config.defaultTokenFile(),
    locate,
    async read(slot, opts = {}) {
      const path = locate(slot);
      const content = readSlotFile(path, slot, !opts.inspect);
      // A missing file may be a first login killed just before its rename: its kept pair is
      // put in place under the lock (token-lock.ts). Only a missing file pays for the check.
      if (content || opts.inspect || slot.kind === 'app') return content;
      if (!lstatSync(await keptPairPath(path), { throwIfNoEntry: false })) return null;
      return withTokenLock(path, lockTimeout(), async () => readSlotFile(path, slot, true));
    },
    write(slot, seconds, body) {
      const path = locate(slot);
      return TokenWrite.run(path, seconds, (write) => body(slotWrite(write, path, slot)));
    },
    rehearse: (slot, seconds) => TokenWrite.rehearse(locate(slot), seconds),
    discard: (slot, seconds, revoked, opts) => discardToken(locate(slot), seconds, revoked, opts),
    async *list() {
      for await (const entry of listProfiles(config)) yield { name: entry.name, location: entry.tokenFile };
    },
    async init() {
      return `the token file store needs nothing created: hh-oauth makes ${dirname(config.defaultTokenFile())} (owned by its user) at the first write`;
    },
    close: async () => undefined,
  };
}

function slotWrite(write: TokenWrite, path: string, slot: Slot): SlotWrite {
  return {
    reread: async () => readSlotFile(path, slot, true),
    setAside: () => write.setAside(),
    spend: (grant, content) => write.spend(grant, content),
    // Through the same protocol with nothing to spend: the claim, the fsync, the rename.
    put: async (record) => {
      await write.spend(async () => record, (r) => r);
    },
  };
}

/**
 * One slot's file as it is, with the read path's care (token/read.ts): no links, regular
 * files only, capped, in a trusted directory. A user pair that others may read is tightened
 * (when `tighten`) as readToken does; a moved mark is returned as such, never parsed as a pair.
 */
function readSlotFile(path: string, slot: Slot, tighten: boolean): SlotContent | null {
  let content: SlotContent | undefined;
  const read = readCapped(path, READ_LIMITS.tokenFile, (file) => {
    assertTrustedDir(dirname(path), path, file.info.uid);
    const text = file.bytes.toString('utf8');
    let mode = file.info.mode & 0o777;
    const moved = movedMark(text);
    if (slot.kind === 'user' && !moved) {
      // Validated here, before any tightening, as readToken does: a damaged file is left as it is.
      parseTokenFile(text, file.info.mtime, path);
      if (mode & 0o137) {
        tightenMode(file, path, mode, tighten);
        mode &= 0o640;
      }
    }
    content = { text, updatedAt: file.info.mtime, file: { path, mode, uid: file.info.uid, gid: file.info.gid }, movedTo: moved?.movedTo };
  });
  if (!read.ok) {
    if (read.why === 'missing') return null;
    throw refusedRead(path, read, slot.kind === 'user' ? 'point HH_TOKEN_FILE at' : 'point the setting at');
  }
  return content!;
}

