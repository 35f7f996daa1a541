import { resolve } from 'node:path';
import { configError } from '../errors';
import { log } from '../output';
import { readTrustedFile, type TrustedRead } from '../system/file-trust';

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

/** Settings files are a few lines; a bot's whole .env is a few KiB. */
export const ENV_FILE_MAX_BYTES = 1024 * 1024;

/** A settings file that was read: its values, and where and with what mode they came (for warnings). */
export interface EnvFile {
  path: string;
  values: Record<string, string>;
  mode: number;
}

/** The --env-file: it was asked for, so a missing or unreadable one is an error; an untrusted one always is. */
export function readEnvFile(path: string): EnvFile {
  const read = readTrustedFile(path, {
    what: 'the env file',
    maxBytes: ENV_FILE_MAX_BYTES,
    unreadable: (code) => configError(`cannot read env file ${path} (${code})`, 'check the path given to --env-file and that this user can read it'),
  })!;
  return parsed(path, read, `env file ${path}`);
}

/** Where the system settings file is: /etc/hh-oauth/hh-oauth.env. */
export const SYSTEM_ENV_FILE = '/etc/hh-oauth/hh-oauth.env';

/**
 * The system settings file this process reads, or undefined for none. HH_SYSTEM_ENV_FILE (the
 * process environment only) moves it, for tests and for packages that keep /etc elsewhere;
 * empty turns it off. Whoever sets it already sets hh-oauth's environment, which outranks
 * the file anyway, and the file it names meets the same trust rule.
 */
export function systemEnvFilePath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const chosen = env.HH_SYSTEM_ENV_FILE;
  if (chosen === undefined) return SYSTEM_ENV_FILE;
  return chosen === '' ? undefined : resolve(chosen);
}

/**
 * The system settings file, read when it exists. One that this user may not open (root's
 * 0600 file, read by the service user) is passed over without a word: under systemd its
 * values arrive through the unit's EnvironmentFile=, which systemd opens as root, and they
 * outrank the file anyway. One that exists and is not trusted is an error, as for any file.
 */
export function readSystemEnvFile(env: NodeJS.ProcessEnv = process.env): EnvFile | undefined {
  const path = systemEnvFilePath(env);
  if (path === undefined) return undefined;
  const read = readTrustedFile(path, {
    what: 'the system settings file',
    maxBytes: ENV_FILE_MAX_BYTES,
    optional: true,
    unreadable: (code) => {
      if (code === 'EACCES' || code === 'EPERM') {
        log.debug(`the system settings file ${path} is not readable by this user (${code}); its values can only come from the environment`);
        return undefined;
      }
      return configError(`cannot read the system settings file ${path} (${code})`, `check ${path} and its directory`);
    },
  });
  return read && parsed(path, read, `system settings file ${path}`);
}

function parsed(path: string, read: TrustedRead, source: string): EnvFile {
  return { path, values: parseEnvFile(read.text, source), mode: read.mode };
}
