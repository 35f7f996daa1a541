import { describe, expect, it } from 'vitest';
import { fakePair, hoursFromNow, sleep, useHarness, writeTokenFile } from '../helpers';

/**
 * Under systemd (JOURNAL_STREAM set) stderr lines carry sd-daemon priority prefixes
 * and no colour, so `journalctl -t hh-oauth -p warning` works; a timer run that finds
 * nothing to do logs one short line.
 */
const h = useHarness({ expiresIn: 1 });
const JOURNAL = { JOURNAL_STREAM: '8:123456', FORCE_COLOR: '1' };
const ANSI = /\u001b\[/;

describe('journal-native logging', () => {
  it('a refresh that is not due logs exactly one short <6> line and prints nothing on stdout', async () => {
    writeTokenFile(h.tokenFile, fakePair(hoursFromNow(13 * 24)));
    const out = await h.run(['refresh'], { env: JOURNAL });
    expect(out.code).toBe(0);
    expect(out.stdout).toBe('');
    const lines = out.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^<6>not due: the access token is valid until \d{4}-\d\d-\d\dT[\d:.]+Z \(12d 23h left\)$/);
    expect(lines[0]!.length).toBeLessThan(100);
    expect(h.sandbox.stats().grants.refresh_token ?? 0).toBe(0);
  });

  it('a refresh that happens logs one <6> line with the new expiry and no token', async () => {
    await h.login();
    await sleep(1100);
    const out = await h.run(['refresh'], { env: JOURNAL });
    expect(out.code, out.stderr).toBe(0);
    const lines = out.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^<6>refreshed: the new access token expires \d{4}-\d\d-\d\dT[\d:.]+Z \(in \d+s\)$/);
  });

  it('a failure is a <3> line and its hint at the same <3>, without colour; outside the journal the same run is coloured', async () => {
    const out = await h.run(['refresh'], { env: JOURNAL });
    expect(out.code).toBe(4);
    const lines = out.stderr.split('\n').filter(Boolean);
    expect(lines[0]).toBe(`<3>no token file at ${h.tokenFile}`);
    // `journalctl -p err` shows the fix with the failure it explains.
    expect(lines[1]).toMatch(/^<3>hint: authorize again/);
    expect(lines).toHaveLength(2);
    expect(out.stderr).not.toMatch(ANSI);

    const plain = await h.run(['refresh'], { env: { FORCE_COLOR: '1' } });
    expect(plain.stderr).toMatch(ANSI);
    expect(plain.stderr).not.toMatch(/^<\d>/m);
  });
});
