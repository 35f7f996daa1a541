import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lookupInFile, nameInFile, parseAccountFile } from '../../../src/system/accounts';
import { usableGroup } from '../../helpers';

/** One reader of /etc/passwd and /etc/group, both ways (status and doctor name owners with it). */
const etc = mkdtempSync(join(tmpdir(), 'hh-oauth-etc-'));
afterAll(() => rmSync(etc, { recursive: true, force: true }));
writeFileSync(join(etc, 'passwd'), ['# a comment:x:7:', 'root:x:0:0::/root:/bin/sh', 'toor:x:0:0::/root:/bin/sh', 'hh-oauth:x:998:998::/nonexistent:/usr/sbin/nologin', 'broken:x:notanumber', ''].join('\n'));

describe('accounts from the files', () => {
  it('name → id and id → the first name with it', () => {
    expect(lookupInFile('passwd', 'hh-oauth', etc)).toBe(998);
    expect(nameInFile('passwd', 998, etc)).toBe('hh-oauth');
    expect(nameInFile('passwd', 0, etc)).toBe('root');
    expect(nameInFile('passwd', 7, etc)).toBeUndefined();
    expect(lookupInFile('passwd', 'broken', etc)).toBeUndefined();
  });

  it('no file is no answer, not an error', () => {
    expect(nameInFile('group', 0, etc)).toBeUndefined();
    expect(lookupInFile('group', 'root', etc)).toBeUndefined();
  });
});

describe('group and passwd files', () => {
  const group = usableGroup();

  it('parses group and passwd files', () => {
    expect(parseAccountFile('# c\nroot:x:0:\nbots:x:998:alice,bob\nbad:x:y:\n')).toEqual(new Map([['root', 0], ['bots', 998]]));
    expect(lookupInFile('group', group.name)).toBe(group.gid);
  });
});
