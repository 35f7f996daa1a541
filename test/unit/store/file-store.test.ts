import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Config } from '../../../src/config/config';
import { fileStore } from '../../../src/store/file-store';
import { movedRecord } from '../../../src/store/moved';
import { userToken } from '../../../src/lifecycle/stores';
import type { Slot, TokenStore } from '../../../src/store/store';
import { fakePair, hoursFromNow, useTempDirs, writeTokenFile } from '../../helpers';

const tempDir = useTempDirs('hh-oauth-file-store-');
const USER: Slot = { profile: 'default', kind: 'user' };
const ACME: Slot = { profile: 'acme', kind: 'user' };
const APP: Slot = { profile: '', kind: 'app' };

function storeIn(dir = tempDir()): { dir: string; store: TokenStore } {
  return { dir, store: fileStore(new Config({}, { HH_TOKEN_FILE: join(dir, 'token.json'), HH_LOCK_TIMEOUT: '5' }, {}, {})) };
}

async function names(store: TokenStore): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of store.list()) out.push(entry.name);
  return out;
}

describe('the file store', () => {
  it('locates each slot where the token files have always been', () => {
    const { dir, store } = storeIn();
    expect(store.locate(USER)).toBe(join(dir, 'token.json'));
    expect(store.locate(ACME)).toBe(join(dir, 'profiles', 'acme.json'));
    expect(store.locate(APP)).toBe(join(dir, 'app-token.json'));
  });

  it('reads a slot as the file is: its text, its time, its mode; null when missing', async () => {
    const { dir, store } = storeIn();
    expect(await store.read(USER)).toBeNull();
    writeTokenFile(join(dir, 'token.json'), fakePair(hoursFromNow(5)));
    const content = await store.read(USER);
    expect(JSON.parse(content!.text).refresh_token).toBe('FAKEREFRESHTOKEN0123456789');
    expect(content!.file).toMatchObject({ path: join(dir, 'token.json'), mode: 0o600 });
    expect(content!.movedTo).toBeUndefined();
    expect(userToken(store, USER, content)!.expiresAt.getTime()).toBeGreaterThan(Date.now());
  });

  it('tightens a token file others may read, except when only inspecting', async () => {
    const { dir, store } = storeIn();
    const path = join(dir, 'token.json');
    writeTokenFile(path, fakePair(hoursFromNow(5)), 0o644);
    await store.read(USER, { inspect: true });
    expect(statSync(path).mode & 0o777).toBe(0o644);
    await store.read(USER);
    // As readToken does: others lose read, the group keeps it (a reader group is allowed).
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });

  it('writes through the protocol: put stores a record (no grant), spend stores the grant\'s answer', async () => {
    const { dir, store } = storeIn();
    const pair = fakePair(hoursFromNow(5));
    await store.write(ACME, 5, async (w) => {
      expect(await w.reread()).toBeNull();
      await w.put(pair);
    });
    expect(JSON.parse(readFileSync(join(dir, 'profiles', 'acme.json'), 'utf8'))).toEqual(pair);
    const stored = await store.write(ACME, 5, (w) => w.spend(async () => ({ ...pair, access_token: 'NEWACCESS' }), (a) => a));
    expect(stored.access_token).toBe('NEWACCESS');
    expect(JSON.parse((await store.read(ACME))!.text).access_token).toBe('NEWACCESS');
    // Nothing left beside it: no lock, no temp file, no kept pair.
    expect(readdirSync(join(dir, 'profiles')).filter((f) => f !== 'acme.json' && !f.endsWith('.lock'))).toEqual([]);
  });

  it('lists the default profile first, then profiles/, each once', async () => {
    const { dir, store } = storeIn();
    expect(await names(store)).toEqual([]);
    writeTokenFile(join(dir, 'profiles', 'zeta.json'), fakePair(hoursFromNow(5)));
    writeTokenFile(join(dir, 'token.json'), fakePair(hoursFromNow(5)));
    writeTokenFile(join(dir, 'profiles', 'acme.json'), fakePair(hoursFromNow(5)));
    const listed = await names(store);
    expect(listed[0]).toBe('default');
    expect(listed.slice(1).sort()).toEqual(['acme', 'zeta']);
  });

  it('discards a slot only while it holds the revoked refresh token', async () => {
    const { dir, store } = storeIn();
    writeTokenFile(join(dir, 'token.json'), fakePair(hoursFromNow(5)));
    expect(await store.discard(USER, 5, 'SOMEONEELSES', {})).toEqual({ action: 'replaced' });
    expect(existsSync(join(dir, 'token.json'))).toBe(true);
    expect(await store.discard(USER, 5, 'FAKEREFRESHTOKEN0123456789', {})).toEqual({ action: 'removed' });
    expect(await store.read(USER)).toBeNull();
  });

  it('a moved slot reads as moved (no tokens parsed), and using it is exit 3 naming the new store and the setting', async () => {
    const { dir, store } = storeIn();
    await store.write(USER, 5, (w) => w.put(movedRecord('/srv/new/token.json')));
    const content = await store.read(USER);
    expect(content!.movedTo).toBe('/srv/new/token.json');
    let err: unknown;
    try {
      userToken(store, USER, content);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'config', exitCode: 3, message: expect.stringContaining('moved to /srv/new/token.json'), suggestion: expect.stringContaining('HH_TOKEN_FILE') });
    // A moved mark never counts as damaged: nothing would set it aside and log in over it.
    expect(readFileSync(join(dir, 'token.json'), 'utf8')).not.toContain('token"');
  });

  it('rehearses a write without leaving anything, and has nothing to create at init', async () => {
    const { dir, store } = storeIn();
    await store.rehearse(USER, 5);
    expect(readdirSync(dir).filter((f) => !f.endsWith('.lock'))).toEqual([]);
    expect(await store.init!()).toMatch(/needs nothing created/);
  });
});
