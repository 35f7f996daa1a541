import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HhOauthError } from '../../src/errors';
import { PendingWrite } from '../../src/token/store';
import { lookupInFile, parseAccountFile } from '../../src/system/accounts';
import { sleep, useHarness, useTempDirs } from '../helpers';

/**
 * HH_TOKEN_GROUP (set by the unit for `install-units --token-group`): the store gives
 * the token file to that group with mode 0640, so a bot in the group can read it.
 */
const h = useHarness({ expiresIn: 1 });

/** A group this process may give files to: any group as root, its own group otherwise. */
function usableGroup(): { name: string; gid: number } {
  const groups = parseAccountFile(readFileSync('/etc/group', 'utf8'));
  if (process.getuid?.() === 0 && groups.has('nogroup')) return { name: 'nogroup', gid: groups.get('nogroup')! };
  const own = [...groups].find(([, gid]) => gid === process.getgid?.());
  if (!own) throw new Error('cannot name this process group');
  return { name: own[0], gid: own[1] };
}

const tempDir = useTempDirs('hh-group-');
afterEach(() => {
  delete process.env.HH_TOKEN_GROUP;
});

describe('the token store honours HH_TOKEN_GROUP', () => {
  const group = usableGroup();

  it('parses group and passwd files', () => {
    expect(parseAccountFile('# c\nroot:x:0:\nbots:x:998:alice,bob\nbad:x:y:\n')).toEqual(new Map([['root', 0], ['bots', 998]]));
    expect(lookupInFile('group', group.name)).toBe(group.gid);
  });

  it('a written file gets the group and mode 0640; without the variable it stays 0600', async () => {
    const dir = tempDir();
    const path = join(dir, 'token.json');
    const plain = await PendingWrite.open(path);
    await plain.commit({ a: 1 });
    expect(statSync(path).mode & 0o777).toBe(0o600);

    process.env.HH_TOKEN_GROUP = group.name;
    const grouped = await PendingWrite.open(path);
    await grouped.commit({ a: 2 });
    const st = statSync(path);
    expect(st.mode & 0o777).toBe(0o640);
    expect(st.gid).toBe(group.gid);
  });

  it('an unknown group is a config error before anything is written, and the old file is untouched', async () => {
    const dir = tempDir();
    const path = join(dir, 'token.json');
    writeFileSync(path, '{"old":true}\n', { mode: 0o600 });
    process.env.HH_TOKEN_GROUP = 'no-such-group-hh';
    const err = await PendingWrite.open(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HhOauthError);
    expect((err as HhOauthError).exitCode).toBe(3);
    expect((err as HhOauthError).message).toContain('"no-such-group-hh", which does not exist');
    expect(readFileSync(path, 'utf8')).toBe('{"old":true}\n');
    expect(readdirSync(dir)).toEqual(['token.json']);
  });

  it('end to end: an existing 0600 file, then exchange and a later refresh with the variable: 0640 in the group', async () => {
    await h.login();
    expect(statSync(h.tokenFile).mode & 0o777).toBe(0o600);
    const env = { HH_TOKEN_GROUP: group.name };
    const callback = await h.authorize();
    expect((await h.run(['exchange', '-'], { env, input: callback })).code).toBe(0);
    expect(statSync(h.tokenFile).mode & 0o777).toBe(0o640);
    expect(statSync(h.tokenFile).gid).toBe(group.gid);
    await sleep(1100);
    const refreshed = await h.run(['refresh', '--json'], { env });
    expect(JSON.parse(refreshed.stdout).status).toBe('refreshed');
    expect(statSync(h.tokenFile).mode & 0o777).toBe(0o640);
    expect(statSync(h.tokenFile).gid).toBe(group.gid);
  });
});
