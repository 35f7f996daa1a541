import { chmodSync, chownSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AS_NOBODY, NOBODY, nobodyCanRunCli, requires, runCli, sleep, storeGrant, usableGroup, useHarness } from '../helpers';

/**
 * HH_TOKEN_GROUP (set by the unit for `install-units --token-group`): the store gives
 * the token file to that group with mode 0640, so a bot in the group can read it.
 * The store's own handling, in-process: test/unit/token/token-group-mode.test.ts.
 */
const h = useHarness({ expiresIn: 1 });

describe('HH_TOKEN_GROUP through the CLI', () => {
  const group = usableGroup();

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

  it('a group the writer may not keep (not one of its own): the refreshed file is 0600, not 0640 in the writer\'s own group', async (ctx) => {
    requires(ctx, 'root, setpriv and a checkout that uid 65534 can read', nobodyCanRunCli());
    await storeGrant(h, h.tokenFile);
    // The service user (nobody) owns the directory and the file; an operator gave the file to a group (root's, here) that nobody is not in.
    const dir = join(h.tokenFile, '..');
    chmodSync(h.dir, 0o755);
    mkdirSync(join(h.dir, 'config'), { recursive: true, mode: 0o700 });
    for (const path of [dir, join(h.dir, 'config')]) chownSync(path, NOBODY, NOBODY);
    chownSync(h.tokenFile, NOBODY, 0);
    chmodSync(h.tokenFile, 0o640);
    await sleep(1100);

    const out = await runCli(['refresh', '--json'], { env: h.env(), wrap: AS_NOBODY });
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout).status).toBe('refreshed');
    expect(out.stderr).toContain('cannot keep group 0');
    const st = statSync(h.tokenFile);
    expect(st.gid, 'the group could not be kept').toBe(NOBODY);
    expect(st.mode & 0o777, 'so the group the file got instead may not read it').toBe(0o600);
  });
});
