import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { jsonOut, storeGrant, useHarness, waitForExpiry } from '../helpers';

const EXPIRES_IN = 1;
const h = useHarness({ expiresIn: EXPIRES_IN }); // the sandbox's default persona: an employer's manager
beforeEach(() => void h.env());

/** The X-Manager-Account-Id the sandbox saw on the last request to this path (null: none sent). */
function lastHeader(path: string): string | null | undefined {
  const request = h.sandbox.requests().filter((r) => r.path === path).at(-1);
  return request === undefined ? undefined : (request.headers['x-manager-account-id'] ?? null);
}
const countOf = (path: string) => h.sandbox.requests().filter((r) => r.path === path).length;

describe('manager accounts', () => {
  it('whoami --manager-accounts lists GET /manager_accounts/mine, as JSON and as one line per account', async () => {
    await storeGrant(h, h.tokenFile);
    const json = await h.run(['whoami', '--manager-accounts', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const doc = jsonOut(json);
    expect(doc.primary_account_id).toBe('5000001');
    expect(doc.items.map((a: { id: string }) => a.id)).toEqual(['5000001', '5000002']);
    expect(lastHeader('/manager_accounts/mine')).toBeNull();

    const human = await h.run(['whoami', '--manager-accounts']);
    // hh.ru names an account by its employer (items[].employer.name): no blank names.
    expect(human.stdout.trim().split('\n')).toEqual(['5000001\tExample Sandbox LLC\t(primary)', '5000002\tExample Sandbox Recruiting LLC']);
  });

  it('--manager-account and HH_MANAGER_ACCOUNT_ID send X-Manager-Account-Id to the API, and hh.ru answers as that manager', async () => {
    await storeGrant(h, h.tokenFile);
    const flag = await h.run(['--manager-account', '5000002', 'whoami', '--json']);
    expect(flag.code, flag.stderr).toBe(0);
    // As that account: its employer, and the manager's id there (not the account id).
    expect(jsonOut(flag).employer).toMatchObject({ id: '9000002', name: 'Example Sandbox Recruiting LLC' });
    expect(jsonOut(flag).manager).toMatchObject({ id: '7000002' });
    expect(lastHeader('/me')).toBe('5000002');

    const env = await h.run(['whoami', '--json'], { env: { HH_MANAGER_ACCOUNT_ID: '5000001' } });
    expect(env.code, env.stderr).toBe(0);
    expect(lastHeader('/me')).toBe('5000001');

    const none = await h.run(['whoami', '--json']);
    expect(none.code, none.stderr).toBe(0);
    expect(lastHeader('/me')).toBeNull();
  });

  it('never sends the header to the token endpoint, even when whoami refreshes first', async () => {
    await storeGrant(h, h.tokenFile);
    await waitForExpiry(EXPIRES_IN);
    const refreshes = countOf('/token');
    const out = await h.run(['--manager-account', '5000002', 'whoami', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(countOf('/token')).toBe(refreshes + 1);
    expect(lastHeader('/token')).toBeNull();
    expect(lastHeader('/me')).toBe('5000002');
  });

  it('is saved per profile with `profiles set`, applies to that profile only, and the flag still wins', async () => {
    await storeGrant(h, h.profileFile('acme'));
    await storeGrant(h, h.profileFile('other'));
    const set = await h.run(['--profile', 'acme', 'profiles', 'set', 'manager-account', '5000002', '--json']);
    expect(set.code, set.stderr).toBe(0);
    expect(jsonOut(set)).toEqual({ profile: 'acme', key: 'manager-account', value: '5000002' });

    expect((await h.run(['--profile', 'acme', 'whoami', '--json'])).code).toBe(0);
    expect(lastHeader('/me')).toBe('5000002');
    expect((await h.run(['--profile', 'other', 'whoami', '--json'])).code).toBe(0);
    expect(lastHeader('/me')).toBeNull();
    expect((await h.run(['--profile', 'acme', '--manager-account', '5000001', 'whoami', '--json'])).code).toBe(0);
    expect(lastHeader('/me')).toBe('5000001');

    const listed = jsonOut(await h.run(['profiles', '--json']));
    const managers = Object.fromEntries(listed.profiles.map((p: { name: string; manager_account: string | null }) => [p.name, p.manager_account]));
    expect(managers).toEqual({ acme: '5000002', other: null });

    const unset = await h.run(['--profile', 'acme', 'profiles', 'unset', 'manager-account']);
    expect(unset.code, unset.stderr).toBe(0);
    expect((await h.run(['--profile', 'acme', 'whoami', '--json'])).code).toBe(0);
    expect(lastHeader('/me')).toBeNull();
  });

  it('`profiles set` under an --env-file that moves the configuration directory saves where that --env-file makes hh-oauth read', async () => {
    await storeGrant(h, h.profileFile('acme'));
    const moved = join(h.dir, 'moved-config');
    const envFile = join(h.dir, 'hh-oauth.env');
    writeFileSync(envFile, `HH_CONFIG_DIR=${moved}\n`, { mode: 0o600 });
    const env = { HH_CONFIG_DIR: undefined };
    const set = await h.run(['--env-file', envFile, '--profile', 'acme', 'profiles', 'set', 'manager-account', '5000002'], { env });
    expect(set.code, set.stderr).toBe(0);
    expect(existsSync(join(moved, 'config.json'))).toBe(true);
    const listed = jsonOut(await h.run(['--env-file', envFile, 'profiles', '--json'], { env }));
    expect(listed.profiles.find((p: { name: string }) => p.name === 'acme').manager_account).toBe('5000002');
    // `config set` has always saved there: the two agree.
    const saved = await h.run(['--env-file', envFile, 'config', 'set', 'user-agent', 'Bot/1.0 (ops@example.com)', '--json'], { env });
    expect(jsonOut(saved).config_file).toBe(join(moved, 'config.json'));
  });

  it('a malformed id is refused before any request: usage error as a flag, config error from the environment', async () => {
    await storeGrant(h, h.tokenFile);
    const before = countOf('/me');
    const flag = await h.run(['--manager-account', '12; evil', 'whoami', '--json']);
    expect(flag.code).toBe(2);
    const env = await h.run(['whoami', '--json'], { env: { HH_MANAGER_ACCOUNT_ID: 'abc' } });
    expect(env.code).toBe(3);
    const saved = await h.run(['profiles', 'set', 'manager-account', 'x1']);
    expect(saved.code).toBe(2);
    const otherKey = await h.run(['profiles', 'set', 'token-file', '/tmp/x']);
    expect(otherKey.code).toBe(2);
    expect(countOf('/me')).toBe(before);
  });

  it('an id that is not this employer\'s is hh.ru\'s refusal (exit 5), naming the id, with a pointer to --manager-accounts', async () => {
    await storeGrant(h, h.tokenFile);
    const out = await h.run(['--manager-account', '123', 'whoami', '--json']);
    expect(out.code).toBe(5);
    const { error } = jsonOut(out);
    expect(error).toMatchObject({ code: 'rejected', hh_error: 'manager_extra_accounts', hh_error_description: 'manager_extra_account_not_found' });
    expect(error.message).toContain('manager account 123');
    expect(error.suggestion).toContain('whoami --manager-accounts');
  });

  it('a blocked account is hh.ru\'s refusal (exit 5), naming the id and the accounts hh.ru allows instead (allowed_accounts)', async () => {
    await storeGrant(h, h.tokenFile);
    const out = await h.run(['--manager-account', '5000009', 'whoami', '--json']);
    expect(out.code).toBe(5);
    const { error } = jsonOut(out);
    expect(error).toMatchObject({ code: 'rejected', hh_error: 'manager_accounts', hh_error_description: 'used_manager_account_forbidden' });
    expect(error.message).toContain('manager account 5000009 is blocked');
    expect(error.suggestion).toContain('5000001 (Example Sandbox LLC), 5000002 (Example Sandbox Recruiting LLC)');
    expect(error.errors[0].allowed_accounts.map((a: { id: string }) => a.id)).toEqual(['5000001', '5000002']);
  });
});
