import { readFileSync } from 'node:fs';
import { configError, errnoCode } from '../errors';

/**
 * Parses the subset of shell syntax that `set -a; source .env` treats as plain
 * assignments. Anything the shell would treat differently (expansion, command
 * substitution, words after a space) is refused rather than guessed at, so the
 * tool and the old bash tooling never read the same file two different ways.
 * Errors name the line and the key, never the value: it may be a secret.
 */
// The s flag: a value may hold U+2028/U+2029, which the shell takes as plain bytes but `.` would not match.
const KEY = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;
const UNQUOTED = /^([^\s'"`$\\;&|<>()#]*)(?:\s+#.*)?\s*$/s;

export function parseEnvFile(text: string, source = 'env file'): Record<string, string> {
  const out: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fail = (why: string) =>
      configError(`${source} line ${index + 1}: ${why}`, 'use KEY=value, KEY="value" or KEY=\'value\', one per line');
    const match = KEY.exec(line);
    if (!match) throw fail('not a KEY=value assignment');
    const key = match[1]!;
    out[key] = parseValue(match[2]!, (why) => fail(`${key}: ${why}`));
  });
  return out;
}

function parseValue(rest: string, fail: (why: string) => Error): string {
  if (rest.startsWith("'")) {
    const end = rest.indexOf("'", 1);
    if (end < 0) throw fail('unterminated single quote');
    assertOnlyComment(rest.slice(end + 1), fail);
    return rest.slice(1, end);
  }
  if (rest.startsWith('"')) {
    let value = '';
    for (let i = 1; i < rest.length; i++) {
      const ch = rest[i]!;
      if (ch === '\\' && i + 1 < rest.length && '\\"$`'.includes(rest[i + 1]!)) {
        value += rest[++i];
      } else if (ch === '$' || ch === '`') {
        throw fail('variable expansion and command substitution are not supported; use single quotes');
      } else if (ch === '"') {
        assertOnlyComment(rest.slice(i + 1), fail);
        return value;
      } else {
        value += ch;
      }
    }
    throw fail('unterminated double quote');
  }
  const match = UNQUOTED.exec(rest);
  if (!match) throw fail('unquoted value contains spaces or shell syntax; quote it');
  return match[1]!;
}

function assertOnlyComment(tail: string, fail: (why: string) => Error): void {
  if (!/^\s*(#.*)?$/s.test(tail)) throw fail('unexpected text after the closing quote');
}

export function readEnvFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw configError(
      `cannot read env file ${path} (${errnoCode(err) ?? 'error'})`,
      'check the path given to --env-file and that this user can read it',
    );
  }
  return parseEnvFile(text, `env file ${path}`);
}
