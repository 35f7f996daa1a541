import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitCommand } from '../../../src/lifecycle/hook';
import { shellQuote } from '../../helpers';

describe('splitCommand: a hook command split like a shell, or the reason it needs one', () => {
  it('splits like a shell for simple commands', () => {
    expect(splitCommand('systemctl try-restart my-bot.service')).toEqual(['systemctl', 'try-restart', 'my-bot.service']);
    expect(splitCommand(`sh -c 'systemctl restart a && echo "done $HH_EVENT"'`)).toEqual(['sh', '-c', 'systemctl restart a && echo "done $HH_EVENT"']);
    expect(splitCommand(`/opt/my\\ bot/notify "a \\"quoted\\" word" ''`)).toEqual(['/opt/my bot/notify', 'a "quoted" word', '']);
    expect(splitCommand('  a\tb\\\n c  ')).toEqual(['a', 'b', 'c']);
    expect(splitCommand('a"b"\'c\'d')).toEqual(['abcd']);
    expect(splitCommand('echo "\\$HOME \\n"')).toEqual(['echo', '$HOME \\n']);
  });

  it('refuses what would need a shell, with the reason', () => {
    for (const [command, reason] of [
      ['a | b', '"|" is shell syntax'],
      ['a > log', '">" is shell syntax'],
      ['a; b', '";" is shell syntax'],
      ['echo $HOME', '"$" is shell syntax'],
      ['echo "$HOME"', 'needs a shell'],
      ['rm *.tmp', '"*" is shell syntax'],
      ['~/bin/hook', '"~" is shell syntax'],
      ['FOO=1 hook', 'env NAME=value'],
      ['', 'empty'],
      ['   ', 'empty'],
      ["echo 'x", 'single quote is not closed'],
      ['echo "x', 'double quote is not closed'],
      ['echo x\\', 'ends with a backslash'],
    ]) {
      expect(splitCommand(command!), command).toContain(reason);
    }
  });

  it('round-trips any words quoted the POSIX way', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 6 }), (words) => {
        expect(splitCommand(words.map(shellQuote).join(' '))).toEqual(words);
      }),
    );
  });
});
