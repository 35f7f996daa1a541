import { describe, expect, it } from 'vitest';
import { parseEnvFile } from '../../../src/config/env-file';
import { HhOauthError } from '../../../src/errors';
import { thrownBy } from '../../helpers';

describe('env file: the subset `set -a; source .env` reads the same way, and a refusal that names the line, never the value', () => {
  it('reads plain, quoted, exported and commented assignments', () => {
    expect(
      parseEnvFile("# c\nexport A=1\nB='x y $z'\nC=\"q \\\"w\\\"\" # note\n\nD=\n"),
    ).toEqual({ A: '1', B: 'x y $z', C: 'q "w"', D: '' });
  });
  it.each([
    ['expansion', 'A="$HOME"'],
    ['command substitution', 'A=$(id)'],
    ['an unquoted space', 'A=b c'],
    ['an unterminated quote', "A='x"],
    ['not an assignment', 'just words'],
    ['text after a quote', "A='x'y"],
  ])('%s is a config error that names the line but not the value', (_name, line) => {
    const thrown = thrownBy(() => parseEnvFile(`OK=1\n${line}\n`));
    expect(thrown).toBeInstanceOf(HhOauthError);
    expect((thrown as HhOauthError).code).toBe('config');
    expect((thrown as Error).message).toContain('line 2');
    // The value: what follows '=' (the whole line when there is none).
    const value = line.includes('=') ? line.slice(line.indexOf('=') + 1) : line;
    expect((thrown as Error).message).not.toContain(value);
  });
});
