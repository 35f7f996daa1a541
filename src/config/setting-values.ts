import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configDir, numericSettingProblem, SETTINGS, type Config, type Origin, type SettingName } from './config';
import { cleartextProblem, isHttpUrl, redirectCleartextWarning } from './urls';
import { HhOauthError, usageError } from '../errors';
import { log, mask } from '../output';
import { VERSION } from '../version';
import { closest } from '../suggest';
import { CREDENTIAL } from '../system/unit-names';
import { hasPassword, isPostgresDsn, withoutPassword } from '../store/dsn';

/**
 * What `hh-oauth config` needs on top of config.ts: turning a key typed by a person
 * into a setting, checking a value before it is saved (a bad saved value would only
 * fail later, under systemd, far from the typo), and listing effective values.
 */
export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];
const keyOf = (name: SettingName): string => SETTINGS[name].key;
export const isSecret = (name: SettingName): boolean => 'secret' in SETTINGS[name] && SETTINGS[name].secret === true;

/** `client-id`, or the variable name `HH_CLIENT_ID`; anything else is a usage error listing the keys. */
export function settingForKey(key: string): SettingName {
  const name = SETTING_NAMES.find((n) => keyOf(n) === key || n === key);
  if (name) return name;
  const keys = SETTING_NAMES.map(keyOf);
  const guess = /^HH_/i.test(key) ? closest(key, SETTING_NAMES) : closest(key, keys);
  const valid = `valid keys: ${keys.join(', ')}`;
  throw usageError(`unknown setting "${key.slice(0, 64)}"`, guess === undefined ? valid : `did you mean ${guess}? ${valid}`);
}

const CONTACT = /\([^()]*[^\s()@<>]+@[^\s()@<>]+\.[^\s()@<>]+[^()]*\)/;

/** True when a User-Agent carries an e-mail contact in parentheses, as hh.ru asks: `<product>/<version> (<mailbox>)`. */
export function hasContact(userAgent: string): boolean {
  return CONTACT.test(userAgent);
}

/**
 * The value to save, or a usage error naming the key (never echoing the value: it
 * may be a secret pasted into the wrong key). Paths are made absolute here, since a
 * relative path would later be resolved against whatever directory systemd uses.
 */
export function validateSettingValue(name: SettingName, raw: string): string {
  const key = keyOf(name);
  const bad = (why: string, suggestion?: string) => usageError(`${key}: ${why}`, suggestion);
  if (raw === '') throw bad('the value is empty', `to remove a saved value, run \`hh-oauth config unset ${key}\``);
  if (/[\x00-\x1f\x7f]/.test(raw)) throw bad('the value must be one line without control characters');

  if (name === 'HH_REDIRECT_URI' || name.endsWith('_URL')) {
    if (!isHttpUrl(raw)) throw bad('not an http(s) URL', 'give an absolute URL such as https://example.com/callback');
    const cleartext = cleartextProblem(name, raw);
    if (cleartext) throw bad(`http:// would send ${cleartext.carries} to ${cleartext.origin} unencrypted`, 'give an https:// URL (http:// is for this machine only: 127.0.0.1, [::1], localhost)');
    const warning = name === 'HH_REDIRECT_URI' ? redirectCleartextWarning(raw) : undefined;
    if (warning) log.warn(warning);
    return raw;
  }
  if (name.endsWith('_FILE')) return resolve(raw);
  if (name === 'HH_TOKEN_STORE') {
    if (!isPostgresDsn(raw)) throw bad('must be a postgres:// or postgresql:// DSN (unset it for the token file)');
    // A saved file, and the command line that saved it, are no place for a password.
    if (hasPassword(raw)) throw bad('the DSN carries a password', 'save it without one, and give the password through PGPASSFILE or the environment');
    return raw;
  }
  if (name.endsWith('_TIMEOUT') || name === 'HH_HTTP_RETRIES' || name === 'HH_RATE_LIMIT') {
    const problem = numericSettingProblem(name, raw);
    if (problem) throw bad(problem);
    return raw;
  }
  if (name === 'HH_CLIENT_ID' || name === 'HH_CLIENT_SECRET') {
    if (!/^[\x21-\x7e]+$/.test(raw)) throw bad('must be printable characters without spaces');
    return raw;
  }
  return raw;
}

export interface EffectiveSetting {
  env: string;
  /** Masked for secrets; null when unset. */
  value: string | null;
  origin: Origin | null;
  secret: boolean;
  /** Where the client secret was actually found, when not in HH_CLIENT_SECRET itself. */
  via?: string;
  /** Why a value that is set cannot be used (an unreadable secret file). */
  problem?: string;
}

/** Every setting's effective value and origin, secrets masked; nothing here prints or throws for a missing value. */
export function effectiveSettings(config: Config): Record<string, EffectiveSetting> {
  const out: Record<string, EffectiveSetting> = {};
  for (const name of SETTING_NAMES) {
    const secret = isSecret(name);
    const setting = config.get(name);
    const entry: EffectiveSetting = {
      env: name,
      value: setting ? (secret ? mask(setting.value) : name === 'HH_TOKEN_STORE' ? withoutPassword(setting.value) : setting.value) : null,
      origin: setting?.origin ?? null,
      secret,
    };
    if (!setting) fillDerived(config, name, entry);
    out[keyOf(name)] = entry;
  }
  return out;
}

/** Values config.ts derives when the setting itself is absent: the token file path, the User-Agent, the secret's file. */
function fillDerived(config: Config, name: SettingName, entry: EffectiveSetting): void {
  if (name === 'HH_TOKEN_FILE') {
    entry.value = config.tokenFile();
    entry.origin = 'default';
    if (config.env.STATE_DIRECTORY) entry.via = 'STATE_DIRECTORY';
  } else if (name === 'HH_USER_AGENT') {
    entry.value = `hh-oauth/${VERSION}`;
    entry.origin = 'default';
  } else if (name === 'HH_CLIENT_SECRET') {
    const file = config.get('HH_CLIENT_SECRET_FILE');
    const credential = config.env.CREDENTIALS_DIRECTORY ? join(config.env.CREDENTIALS_DIRECTORY, CREDENTIAL) : undefined;
    if (!file && !(credential && existsSync(credential))) return;
    try {
      entry.value = mask(config.clientSecret('config list'));
      entry.origin = file ? file.origin : 'env';
      entry.via = file ? `HH_CLIENT_SECRET_FILE ${file.value}` : `systemd credential ${credential}`;
    } catch (err) {
      if (!(err instanceof HhOauthError)) throw err;
      entry.origin = file ? file.origin : null;
      entry.problem = err.message;
    }
  }
}

/** `$HH_CONFIG_DIR/config.json` (or the XDG default), the file config.ts reads and `config set` writes. */
export function savedSettingsFile(env: NodeJS.ProcessEnv = process.env, envFile: Record<string, string> = {}): string | undefined {
  const dir = configDir(env, envFile);
  return dir ? join(dir, 'config.json') : undefined;
}
