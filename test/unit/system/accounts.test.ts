import { describe, expect, it } from 'vitest';
import { lookupInFile, parseAccountFile } from '../../../src/system/accounts';
import { usableGroup } from '../../helpers';

describe('group and passwd files', () => {
  const group = usableGroup();

  it('parses group and passwd files', () => {
    expect(parseAccountFile('# c\nroot:x:0:\nbots:x:998:alice,bob\nbad:x:y:\n')).toEqual(new Map([['root', 0], ['bots', 998]]));
    expect(lookupInFile('group', group.name)).toBe(group.gid);
  });
});
