import { chmodSync, chownSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HhOauthError } from '../../../src/errors';
import { TokenWrite } from '../../../src/token/write';
import { isRoot, requires, usableGroup, useTempDirs } from '../../helpers';

const tempDir = useTempDirs('hh-group-');
afterEach(() => {
  delete process.env.HH_TOKEN_GROUP;
});

/** A write through the protocol, with a grant that answers data at once. */
const writeThrough = (path: string, data: Record<string, unknown>) => TokenWrite.run(path, 5, (write) => write.spend(async () => data, (answer) => answer));

describe('the store honours HH_TOKEN_GROUP: the written file in that group, mode 0640', () => {
  const group = usableGroup();

  it('a written file gets the group and mode 0640; without the variable it stays 0600', async () => {
    const path = join(tempDir(), 'token.json');
    await writeThrough(path, { a: 1 });
    expect(statSync(path).mode & 0o777).toBe(0o600);

    process.env.HH_TOKEN_GROUP = group.name;
    await writeThrough(path, { a: 2 });
    const st = statSync(path);
    expect(st.mode & 0o777).toBe(0o640);
    expect(st.gid).toBe(group.gid);
  });

  it('an unknown group is a config error before anything is written, and the old file is untouched', async () => {
    const dir = tempDir();
    const path = join(dir, 'token.json');
    writeFileSync(path, '{"old":true}\n', { mode: 0o600 });
    process.env.HH_TOKEN_GROUP = 'no-such-group-hh';
    let granted = false;
    const err = await TokenWrite.run(path, 5, (write) => write.spend(async () => (granted = true), () => ({ a: 1 }))).catch((e: unknown) => e);
    expect(granted, 'the grant is never sent').toBe(false);
    expect(err).toBeInstanceOf(HhOauthError);
    expect((err as HhOauthError).exitCode).toBe(3);
    expect((err as HhOauthError).message).toContain('"no-such-group-hh", which does not exist');
    expect(readFileSync(path, 'utf8')).toBe('{"old":true}\n');
    expect(readdirSync(dir)).toEqual(['token.json']);
  });
});

describe('a replacement is never readable by a group the old file did not have', () => {
  it('in a setgid directory, a 0640 root:root file stays root:root: the directory\'s group does not get to read the new token', async (ctx) => {
    requires(ctx, 'root (to own the file and give the directory another group)', isRoot);
    const other = usableGroup();
    requires(ctx, 'a group other than root', other.gid !== 0);
    const dir = tempDir();
    // setgid: a file created here gets the directory's group, not the creator's.
    chownSync(dir, 0, other.gid);
    chmodSync(dir, 0o2750);
    const path = join(dir, 'token.json');
    writeFileSync(path, '{"old":true}\n', { mode: 0o640 });
    chownSync(path, 0, 0);
    chmodSync(path, 0o640);

    await writeThrough(path, { a: 1 });
    const st = statSync(path);
    expect({ uid: st.uid, gid: st.gid, mode: st.mode & 0o777 }, 'owner, group and mode as before').toEqual({ uid: 0, gid: 0, mode: 0o640 });
  });
});
