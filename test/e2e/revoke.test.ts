import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonOut, meAnswer, quickLogin, readJson, runInTty, useHarness } from '../helpers';

const h = useHarness();

describe('hh-oauth revoke', () => {
  it('--yes: DELETE /oauth/token with the stored bearer (204), then the file is gone and the pair is dead', async () => {
    await quickLogin(h);
    const pair = readJson(h.tokenFile);
    const out = await h.run(['revoke', '--yes', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out)).toEqual({ status: 'revoked', token_file: h.tokenFile, file: 'removed', kept_as: null });
    const sent = h.sandbox.requests().filter((r) => r.method === 'DELETE' && r.path === '/oauth/token');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.headers.authorization === `Bearer ${pair.access_token}`).toBe(true);
    expect(existsSync(h.tokenFile)).toBe(false);
    expect(readdirSync(dirname(h.tokenFile))).toEqual([]);
    expect(await meAnswer(h, pair.access_token)).toBe('token_revoked');
  });

  it('--keep: the file stays, renamed <file>.revoked-<time>, same content and mode', async () => {
    await quickLogin(h);
    const pair = readJson(h.tokenFile);
    const out = await h.run(['revoke', '--yes', '--keep', '--json']);
    expect(out.code, out.stderr).toBe(0);
    const doc = jsonOut(out);
    expect(doc).toMatchObject({ status: 'revoked', file: 'kept' });
    expect(doc.kept_as).toMatch(/\/token\.json\.revoked-\d{4}-\d\d-\d\dT[\d-]+Z$/);
    expect(existsSync(h.tokenFile)).toBe(false);
    expect(readJson(doc.kept_as)).toEqual(pair);
    expect(statSync(doc.kept_as).mode & 0o777).toBe(0o600);
    expect(await meAnswer(h, pair.access_token)).toBe('token_revoked');
  });

  it('without a terminal and without --yes: usage error (exit 2), nothing sent, file kept', async () => {
    await quickLogin(h);
    const before = h.sandbox.stats().revoked;
    const out = await h.run(['revoke']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--yes');
    expect(h.sandbox.stats().revoked).toBe(before);
    expect(existsSync(h.tokenFile)).toBe(true);
  });

  it('on a terminal it asks: "n" changes nothing, "y" revokes', async () => {
    await quickLogin(h);
    const before = h.sandbox.stats().revoked;
    const no = await runInTty(['revoke'], h.env(), { input: 'n\n' });
    expect(no.code).toBe(0);
    expect(no.stdout).toMatch(/Revoke the hh\.ru token in .* and delete the file\? \[y\/N\]/);
    expect(no.stdout).toContain('cancelled: nothing was revoked');
    expect(h.sandbox.stats().revoked).toBe(before);
    expect(existsSync(h.tokenFile)).toBe(true);

    const yes = await runInTty(['revoke'], h.env(), { input: 'y\n' });
    expect(yes.code, yes.stdout).toBe(0);
    expect(h.sandbox.stats().revoked).toBe(before + 1);
    expect(existsSync(h.tokenFile)).toBe(false);
  });

  it('on a terminal, the pair revoked is the one stored when the answer comes, not when the question was asked', async () => {
    await quickLogin(h);
    let replaced: { access_token: string } | undefined;
    // While the question waits, another login stores a new pair in the same file.
    const out = await runInTty(['revoke'], h.env(), {
      input: 'y\n',
      typeWhen: /\[y\/N\]/,
      beforeTyping: async () => {
        await quickLogin(h);
        replaced = readJson(h.tokenFile);
      },
    });
    expect(out.code, out.stdout).toBe(0);
    expect(out.stdout).toContain(`revoked at hh.ru; removed ${h.tokenFile}`);
    expect(out.stdout).not.toContain('now holds a newer token');
    expect(existsSync(h.tokenFile)).toBe(false);
    expect(await meAnswer(h, replaced!.access_token)).toBe('token_revoked');
  });

  it('a token file stored by someone else while revoking is left alone (only the revoked pair is removed)', async () => {
    // Simulated by revoking a pair that is no longer the stored one: the store compares refresh tokens under the lock.
    await quickLogin(h);
    const { discardToken } = await import('../../src/token/discard');
    const outcome = await discardToken(h.tokenFile, 5, 'NOT-THE-STORED-REFRESH-TOKEN');
    expect(outcome).toEqual({ action: 'replaced' });
    expect(existsSync(h.tokenFile)).toBe(true);
    expect(readdirSync(dirname(h.tokenFile)).sort()).toEqual(['token.json']);
    expect(await discardToken(join(h.dir, 'nowhere', 'token.json'), 5, 'x')).toEqual({ action: 'missing' });
  });

  it('no token file: exit 4 before asking anything', async () => {
    const out = await h.run(['revoke', '--yes']);
    expect(out.code).toBe(4);
  });
});
