import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sleep, usableGroup, useHarness } from '../helpers';

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
});
