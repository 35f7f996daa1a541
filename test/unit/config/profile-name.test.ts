import { basename, dirname, join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config';
import { compareProfileNames, DEFAULT_PROFILE, profileFromFileName, profileNameProblem } from '../../../src/config/profile-name';
import { errorCodeOf } from '../../helpers';

const BASE_ENV = { HH_TOKEN_FILE: '/srv/hh/token.json', HH_CONFIG_DIR: '/nonexistent/hh-oauth-test' };
const BAD = ['../x', 'a/b', '.hidden', 'x'.repeat(65), 'Upper', 'UPPER', '..', '.', '/etc/passwd', 'a\\b', 'a b', '-dash', '_x', 'a\nb', 'a\0b', 'ä', 'a:b', '~'];

describe('profile names: what is refused and why, and the one file a name selects', () => {
  it.each(BAD)('%j is refused: usage error as a flag, config error from the environment', (name) => {
    expect(profileNameProblem(name)).toEqual(expect.any(String));
    expect(errorCodeOf(() => loadConfig({ profile: name }, {}, BASE_ENV))).toBe('usage');
    expect(errorCodeOf(() => loadConfig({}, {}, { ...BASE_ENV, HH_PROFILE: name }))).toBe('config');
  });

  it('says why in words, without needing the rule spelled out', () => {
    expect(profileNameProblem('a/b')).toBe('it contains a path separator');
    expect(profileNameProblem('x'.repeat(65))).toBe('it is 65 characters long (at most 64)');
    expect(profileNameProblem('.hidden')).toBe('it must start with a letter or digit');
    expect(profileNameProblem('Acme')).toBe('it contains upper-case letters');
  });

  it('an accepted name always stays inside the profiles directory as NAME.json, never hidden', () => {
    const dir = '/srv/hh/profiles';
    let accepted = 0;
    fc.assert(
      fc.property(fc.string({ minLength: 0, maxLength: 70 }), (name) => {
        if (profileNameProblem(name) !== undefined) return;
        accepted++;
        const file = join(dir, `${name}.json`);
        expect(dirname(file)).toBe(dir);
        expect(basename(file)).toBe(`${name}.json`);
        expect(name.startsWith('.')).toBe(false);
        expect(name.length).toBeLessThanOrEqual(64);
      }),
      { numRuns: 2000 },
    );
    // Not vacuous: random strings are mostly refused, but a share (about 1 in 15) got to the checks.
    expect(accepted).toBeGreaterThan(20);
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,63}$/), (name) => {
        expect(profileNameProblem(name)).toBeUndefined();
      }),
    );
  });

  it('selects <token dir>/profiles/NAME.json, and the single file for no profile or "default"', () => {
    expect(loadConfig({}, {}, BASE_ENV).tokenFile()).toBe('/srv/hh/token.json');
    expect(loadConfig({ profile: 'default' }, {}, BASE_ENV).tokenFile()).toBe('/srv/hh/token.json');
    expect(loadConfig({ profile: 'acme' }, {}, BASE_ENV).tokenFile()).toBe('/srv/hh/profiles/acme.json');
    expect(loadConfig({}, {}, { ...BASE_ENV, HH_PROFILE: 'acme' }).tokenFile()).toBe('/srv/hh/profiles/acme.json');
    expect(loadConfig({ profile: 'flag' }, {}, { ...BASE_ENV, HH_PROFILE: 'env' }).tokenFile()).toBe('/srv/hh/profiles/flag.json');
    const systemd = { HH_CONFIG_DIR: BASE_ENV.HH_CONFIG_DIR, STATE_DIRECTORY: '/var/lib/hh-token' };
    expect(loadConfig({ profile: 'acme' }, {}, systemd).tokenFile()).toBe('/var/lib/hh-token/profiles/acme.json');
  });

  it('reads back only profile files from a directory listing', () => {
    expect(profileFromFileName('acme.json')).toBe('acme');
    expect(profileFromFileName('a.b.json')).toBe('a.b');
    for (const other of ['default.json', 'acme.json.lock', '.acme.json.123.abc.tmp', 'acme.json.corrupt-2026', 'Acme.json', 'notes.txt', '.json']) {
      expect(profileFromFileName(other)).toBeUndefined();
    }
  });
});

describe('the order of profiles (profiles, refresh --all --json)', () => {
  const names = fc.oneof(fc.constant(DEFAULT_PROFILE), fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,5}$/));

  it('is a consistent order: 0 only for the same name, and a < b exactly when b > a', () => {
    fc.assert(
      fc.property(names, names, (a, b) => {
        expect(compareProfileNames(a, a)).toBe(0);
        expect(Math.sign(compareProfileNames(a, b)) + Math.sign(compareProfileNames(b, a))).toBe(0);
        if (a !== b) expect(compareProfileNames(a, b)).not.toBe(0);
      }),
    );
  });

  it('puts the default first, then the names in byte order, whatever order they came in', () => {
    fc.assert(
      fc.property(fc.uniqueArray(names, { maxLength: 12 }), (list) => {
        const sorted = [...list].sort(compareProfileNames);
        const rest = list.filter((n) => n !== DEFAULT_PROFILE).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
        expect(sorted).toEqual(list.includes(DEFAULT_PROFILE) ? [DEFAULT_PROFILE, ...rest] : rest);
        expect([...list].reverse().sort(compareProfileNames)).toEqual(sorted);
      }),
    );
  });
});
