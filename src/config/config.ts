import { dirname, join, resolve } from 'node:path';
import { configError, HhOauthError, usageError } from '../errors';
import { readEnvFile, readSystemEnvFile, type EnvFile } from './env-file';
import { log } from '../output';
import { readTrustedFile } from '../system/file-trust';
import { exposure, readSecretFile, type SecretFile } from './secret-files';
import { cleartextProblem, isHttpUrl, redirectCleartextWarning } from './urls';
import { DEFAULT_PROFILE, PROFILE_RULE, profileNameProblem } from './profile-name';
import { VERSION } from '../version';
import { CREDENTIAL } from '../system/unit-names';
import { USER_AGENT_ADVICE } from '../hh/user-agent';

/** Where a value came from, in the order of precedence of docs/contract.md. */
export type Origin = 'flag' | 'env' | 'env-file' | 'system-file' | 'config' | 'default';
export interface Setting {
  value: string;
  origin: Origin;
}

interface Spec {
  /** The name `hh-oauth config set` uses. */
  key: string;
  default?: string;
  secret?: boolean;
  /** May be saved for one profile (`hh-oauth profiles set`), under "profiles" in config.json. */
  perProfile?: boolean;
}

export const SETTINGS = {
  HH_CLIENT_ID: { key: 'client-id' },
  HH_CLIENT_SECRET: { key: 'client-secret', secret: true },
  HH_CLIENT_SECRET_FILE: { key: 'client-secret-file' },
  HH_REDIRECT_URI: { key: 'redirect-uri' },
  HH_USER_AGENT: { key: 'user-agent' },
  HH_TOKEN_FILE: { key: 'token-file' },
  HH_AUTHORIZE_URL: { key: 'authorize-url', default: 'https://hh.ru/oauth/authorize' },
  HH_TOKEN_URL: { key: 'token-url', default: 'https://api.hh.ru/token' },
  HH_API_URL: { key: 'api-url', default: 'https://api.hh.ru' },
  HH_HTTP_TIMEOUT: { key: 'http-timeout', default: '15' },
  HH_HTTP_RETRIES: { key: 'http-retries', default: '2' },
  // Requests per second to hh.ru for the whole process; the default and the burst are explained in hh/pace.ts.
  HH_RATE_LIMIT: { key: 'rate-limit', default: '5' },
  HH_LOCK_TIMEOUT: { key: 'lock-timeout', default: '60' },
  HH_APP_TOKEN_FILE: { key: 'app-token-file' },
  // Where tokens live: empty for the token file, or a postgres:// DSN (src/store/store.ts).
  HH_TOKEN_STORE: { key: 'token-store' },
  // The PostgreSQL store's password, first line of this file (src/store/postgres/password.ts).
  HH_TOKEN_STORE_PASSWORD_FILE: { key: 'token-store-password-file' },
  HH_ON_REFRESH: { key: 'on-refresh' },
  HH_ON_REFRESH_TIMEOUT: { key: 'on-refresh-timeout', default: '60' },
  HH_PROFILE: { key: 'profile' },
  HH_MANAGER_ACCOUNT_ID: { key: 'manager-account', perProfile: true },
} satisfies Record<string, Spec>;

export type SettingName = keyof typeof SETTINGS;
export type Flags = Partial<Record<SettingName, string | undefined>>;

export const DEFAULT_TOKEN_FILE = '/var/lib/hh-token/token.json';
/** The longest a timer can wait (setTimeout's 32-bit milliseconds): a longer one would fire at once. */
export const MAX_SECONDS = 2_147_483;
/** HH_HTTP_RETRIES: each retry can wait seconds while the token file is locked. */
export const MAX_HTTP_RETRIES = 10;
/** HH_RATE_LIMIT: far above hh.ru's own limit; only a typo would go higher. */
export const MAX_RATE_LIMIT = 1000;

/**
 * What is wrong with a value of a numeric setting, if anything: the one rule for the
 * environment, `config set` and `doctor`. The *_TIMEOUT settings are plain decimal seconds
 * (no "1e3", no "0x10"); HH_HTTP_RETRIES a whole number; HH_RATE_LIMIT a plain decimal, 0 included.
 */
export function numericSettingProblem(name: SettingName, value: string): string | undefined {
  if (name === 'HH_HTTP_RETRIES') {
    return /^\d+$/.test(value) && Number(value) <= MAX_HTTP_RETRIES ? undefined : `must be a whole number from 0 to ${MAX_HTTP_RETRIES}`;
  }
  if (name === 'HH_RATE_LIMIT') {
    return /^\d+(\.\d+)?$/.test(value) && Number(value) <= MAX_RATE_LIMIT
      ? undefined
      : `must be a number of requests per second from 0 (unpaced) to ${MAX_RATE_LIMIT}, such as 5 or 0.5`;
  }
  return /^\d+(\.\d+)?$/.test(value) && Number(value) > 0 && Number(value) <= MAX_SECONDS ? undefined : `must be a positive number of seconds, at most ${MAX_SECONDS}`;
}

/**
 * What loadConfig reads of the global flags. Their declaration is src/cli/global-options.ts,
 * whose derived GlobalOptions type must fit this shape (tsc checks it where commands call
 * loadConfig); config/ sits below cli/, so it names the fields instead of importing them.
 */
export interface GlobalFlags {
  envFile?: string;
  json?: boolean;
  onRefresh?: string;
  profile?: string;
  managerAccount?: string;
}

/** Settings saved for single profiles: profile name → setting key → value. */
export type ProfileSettings = Record<string, Record<string, string>>;

/**
 * The directory `hh-oauth config set` writes to; read here without loading conf (it is slow
 * to import). HH_CONFIG_DIR comes from the environment, the --env-file or the system file, in that order.
 */
export function configDir(env: NodeJS.ProcessEnv = process.env, envFile: Record<string, string> = {}, systemFile: Record<string, string> = {}): string | undefined {
  const explicit = env.HH_CONFIG_DIR ?? envFile.HH_CONFIG_DIR ?? systemFile.HH_CONFIG_DIR;
  if (explicit) return resolve(explicit);
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'hh-oauth');
  if (env.HOME) return join(env.HOME, '.config', 'hh-oauth');
  return undefined;
}

interface Saved {
  top: Record<string, string>;
  profiles: ProfileSettings;
}

/** config.json: a few settings and one entry per profile; even thousands of profiles fit. */
export const SAVED_SETTINGS_MAX_BYTES = 4 * 1024 * 1024;

function readSaved(dir: string | undefined): Saved & { mode?: number; file?: string } {
  if (!dir) return { top: {}, profiles: {} };
  const file = join(dir, 'config.json');
  const read = readTrustedFile(file, {
    what: 'the saved settings',
    maxBytes: SAVED_SETTINGS_MAX_BYTES,
    optional: true,
    unreadable: (code) => configError(`cannot read saved settings ${file} (${code})`, 'fix its permissions or remove it'),
  });
  if (!read) return { top: {}, profiles: {} };
  const data = parseSavedSettings(read.text, file);
  return { top: strings(data), profiles: profileSettings(data.profiles), mode: read.mode, file };
}

/**
 * config.json's object, or an error that says where and never what: the file holds the
 * client secret, and V8's JSON errors quote the text around the mistake.
 */
export function parseSavedSettings(text: string, file: string, what = 'saved settings'): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = undefined;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw configError(`${what} ${file} ${what.endsWith('s') ? 'are' : 'is'} not valid JSON`, `fix or remove ${file}, then use \`hh-oauth config set\``);
  }
  return data as Record<string, unknown>;
}

function strings(data: object): Record<string, string> {
  return Object.fromEntries(Object.entries(data).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function profileSettings(value: unknown): ProfileSettings {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  // No prototype: a profile named "constructor" must not find Object's.
  const out: ProfileSettings = Object.create(null);
  for (const [name, settings] of Object.entries(value)) {
    if (typeof settings === 'object' && settings !== null && !Array.isArray(settings)) out[name] = strings(settings);
  }
  return out;
}

/** Warned once per process, not once per profile: refresh --all builds a Config per profile. */
let warnedUserAgent = false;

const MANAGER_ACCOUNT = /^[0-9]{1,20}$/;

/** The files a Config read its values from, with their modes (for warnings about who may read a secret). */
export interface SettingsFiles {
  envFile?: EnvFile;
  systemFile?: EnvFile;
  saved?: { path: string; mode: number };
}

export class Config {
  constructor(
    private readonly flags: Flags,
    readonly env: NodeJS.ProcessEnv,
    private readonly envFile: Record<string, string>,
    private readonly saved: Record<string, string>,
    private readonly savedProfiles: ProfileSettings = {},
    private readonly systemFile: Record<string, string> = {},
    readonly files: SettingsFiles = {},
  ) {}

  get(name: SettingName): Setting | undefined {
    const spec: Spec = SETTINGS[name];
    const perProfile = spec.perProfile ? this.savedProfiles[this.profileName()]?.[spec.key] : undefined;
    const candidates: Array<[Origin, string | undefined]> = [
      ['flag', this.flags[name]],
      ['env', this.env[name]],
      ['env-file', this.envFile[name]],
      ['system-file', this.systemFile[name]],
      ['config', perProfile ?? this.saved[spec.key]],
      ['default', spec.default],
    ];
    for (const [origin, value] of candidates) {
      if (value !== undefined && value !== '') return { value, origin };
    }
    return undefined;
  }

  require(name: SettingName, purpose: string): string {
    const setting = this.get(name);
    if (!setting) {
      const key = SETTINGS[name].key;
      throw configError(
        `${name} is not set; ${purpose} needs it`,
        `export ${name}=…, put it in the --env-file or the system settings file, or run \`hh-oauth config set ${key} …\``,
      );
    }
    return setting.value;
  }

  /**
   * An http(s) URL setting, validated; a bad flag is a usage error, a bad env/file value a
   * config error. The URLs that carry credentials must be https:// unless they stay on this
   * machine (cleartextProblem); an http:// redirect URI elsewhere is warned about once.
   */
  url(name: SettingName, purpose: string): string {
    const value = this.require(name, purpose);
    const origin = this.get(name)?.origin;
    const refuse = (message: string, fix: string) =>
      origin === 'flag' ? usageError(message, `give --${SETTINGS[name].key} ${fix}`) : configError(message, `set ${name} to ${fix}`);
    if (!isHttpUrl(value)) throw refuse(`${name} is not an http(s) URL`, 'an absolute URL such as https://example.com/callback');
    const cleartext = cleartextProblem(name, value);
    if (cleartext) {
      throw new HhOauthError(origin === 'flag' ? 'usage' : 'config', `${name} (${origin}) is ${cleartext.origin}: ${cleartext.carries} would cross the network unencrypted`, {
        suggestion: `use https://, or unset ${name} to use hh.ru (http:// is for this machine only: 127.0.0.1, [::1], localhost)`,
      });
    }
    const warning = name === 'HH_REDIRECT_URI' ? redirectCleartextWarning(value) : undefined;
    if (warning) warnOnce(warning);
    return value;
  }

  optionalUrl(name: SettingName, purpose: string): string | undefined {
    return this.get(name) ? this.url(name, purpose) : undefined;
  }

  seconds(name: SettingName): number {
    return this.numeric(name, 30);
  }

  /** HH_HTTP_RETRIES: loosely parsed, "abc" would retry without end. */
  retries(): number {
    return this.numeric('HH_HTTP_RETRIES', 0);
  }

  /** HH_RATE_LIMIT, or `refresh --all --rate` (a flag: a bad one is a usage error). */
  rateLimit(): number {
    const setting = this.get('HH_RATE_LIMIT');
    if (setting?.origin === 'flag') {
      const problem = numericSettingProblem('HH_RATE_LIMIT', setting.value);
      if (problem) throw usageError(`--rate ${problem}`);
    }
    return this.numeric('HH_RATE_LIMIT', 5);
  }

  private numeric(name: SettingName, example: string | number): number {
    const value = this.require(name, 'hh-oauth');
    const problem = numericSettingProblem(name, value);
    if (problem) throw configError(`${name} ${problem}`, `set ${name} to a number such as ${(SETTINGS[name] as Spec).default ?? example}, or unset it`);
    return Number(value);
  }

  /**
   * The token file of the selected profile. Every command finds its file here, so
   * `--profile` / HH_PROFILE work everywhere: the default profile is the single file
   * of old (HH_TOKEN_FILE or its default), profile NAME is `profiles/NAME.json` beside it.
   */
  tokenFile(): string {
    const profile = this.profileName();
    return profile === DEFAULT_PROFILE ? this.defaultTokenFile() : join(this.profilesDir(), `${profile}.json`);
  }

  defaultTokenFile(): string {
    const explicit = this.get('HH_TOKEN_FILE');
    if (explicit) return resolve(explicit.value);
    const stateDir = this.env.STATE_DIRECTORY?.split(':')[0];
    return stateDir ? join(stateDir, 'token.json') : DEFAULT_TOKEN_FILE;
  }

  /** The directory of the default token file; the profiles live in `profiles/` under it. */
  tokenDir(): string {
    return dirname(this.defaultTokenFile());
  }

  profilesDir(): string {
    return join(this.tokenDir(), 'profiles');
  }

  /** The selected profile, validated: a bad flag is a usage error, a bad env/file/saved value a config error. */
  profileName(): string {
    const setting = this.get('HH_PROFILE');
    if (!setting) return DEFAULT_PROFILE;
    const problem = profileNameProblem(setting.value);
    if (problem === undefined) return setting.value;
    const message = `the profile name is not valid: ${problem}`;
    const rule = `a profile name is ${PROFILE_RULE}`;
    throw setting.origin === 'flag' ? usageError(`--profile: ${message}`, rule) : configError(`HH_PROFILE: ${message}`, rule);
  }

  /** True when a profile was chosen (flag, env, env file or saved), even if it is the default one. */
  profileChosen(): boolean {
    return this.get('HH_PROFILE') !== undefined;
  }

  /** The same settings for another profile (refresh --all, exchange adopting authorize-url's profile). */
  forProfile(profile: string): Config {
    return new Config({ ...this.flags, HH_PROFILE: profile }, this.env, this.envFile, this.saved, this.savedProfiles, this.systemFile, this.files);
  }

  /** The same settings with some given as flags (`store copy`: another token file). */
  withFlags(flags: Flags): Config {
    return new Config({ ...this.flags, ...flags }, this.env, this.envFile, this.saved, this.savedProfiles, this.systemFile, this.files);
  }

  /** Settings saved for single profiles, for listings. */
  profileSettings(): ProfileSettings {
    return this.savedProfiles;
  }

  /** The manager account to act as (X-Manager-Account-Id), validated only when a command uses it. */
  managerAccount(): string | undefined {
    const setting = this.get('HH_MANAGER_ACCOUNT_ID');
    if (!setting) return undefined;
    if (MANAGER_ACCOUNT.test(setting.value)) return setting.value;
    const message = 'the manager account id must be digits only (see `hh-oauth whoami --manager-accounts`)';
    throw setting.origin === 'flag' ? usageError(`--manager-account: ${message}`) : configError(`HH_MANAGER_ACCOUNT_ID: ${message}`);
  }

  /** Headers for hh.ru API calls (not the token endpoint). */
  apiHeaders(): Record<string, string> {
    const id = this.managerAccount();
    return id === undefined ? {} : { 'X-Manager-Account-Id': id };
  }

  userAgent(): string {
    const setting = this.get('HH_USER_AGENT');
    if (setting) {
      if (/[\r\n\0]/.test(setting.value)) throw configError('HH_USER_AGENT contains a line break', `set HH_USER_AGENT to one line: ${USER_AGENT_ADVICE}`);
      return setting.value;
    }
    if (!warnedUserAgent) {
      warnedUserAgent = true;
      log.warn(`HH_USER_AGENT is not set; hh.ru asks for ${USER_AGENT_ADVICE}`);
    }
    return `hh-oauth/${VERSION}`;
  }

  /** The client secret: HH_CLIENT_SECRET, else the file in HH_CLIENT_SECRET_FILE, else the systemd credential. */
  clientSecret(purpose: string): string {
    const direct = this.get('HH_CLIENT_SECRET');
    if (direct) {
      const exposed = this.secretExposure();
      if (exposed) warnOnce(exposed.message);
      return direct.value;
    }
    const file = this.secretFile();
    const read = file && readSecretFile(file);
    if (read) {
      const exposed = exposure(file!.path, read.mode);
      if (exposed) warnOnce(exposed.message);
      return read.secret;
    }
    throw configError(
      `the client secret is not set; ${purpose} needs it`,
      `export HH_CLIENT_SECRET_FILE=/path/to/file (first line is the secret), set HH_CLIENT_SECRET in the environment or --env-file, or use LoadCredential=${CREDENTIAL}:… under systemd`,
    );
  }

  /** The file the client secret is read from when HH_CLIENT_SECRET is not set: HH_CLIENT_SECRET_FILE, else the systemd credential. */
  secretFile(): SecretFile | undefined {
    const file = this.get('HH_CLIENT_SECRET_FILE');
    if (file) return { path: file.value, what: 'HH_CLIENT_SECRET_FILE', optional: false };
    const credentials = this.env.CREDENTIALS_DIRECTORY;
    return credentials ? { path: join(credentials, CREDENTIAL), what: `systemd credential ${CREDENTIAL}`, optional: true } : undefined;
  }

  /**
   * A file holding the client secret that every user may read: the secret file, or the
   * settings file HH_CLIENT_SECRET came from. A warning where the secret is used; doctor fails it.
   */
  secretExposure(): { message: string; fix: string } | undefined {
    const origin = this.get('HH_CLIENT_SECRET')?.origin;
    if (origin === undefined) {
      const file = this.secretFile();
      let read;
      try {
        read = file && readSecretFile(file);
      } catch {
        return undefined; // reported where the secret is read
      }
      return read ? exposure(file!.path, read.mode) : undefined;
    }
    const holder = origin === 'env-file' ? this.files.envFile : origin === 'system-file' ? this.files.systemFile : origin === 'config' ? this.files.saved : undefined;
    return holder && exposure(holder.path, holder.mode);
  }
}

/** Warned once per process, not once per profile (refresh --all builds a Config per profile). */
const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  log.warn(message);
}

export { cleartextProblem, isHttpUrl, redirectCleartextWarning } from './urls';

export function loadConfig(global: GlobalFlags, flags: Flags = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const envFile = global.envFile ? readEnvFile(global.envFile) : undefined;
  // An empty --profile '' would otherwise read as "not given" and quietly pick the default file.
  if (global.profile === '') throw usageError('--profile: the profile name is not valid: it is empty', `a profile name is ${PROFILE_RULE}`);
  const systemFile = readSystemEnvFile(env);
  const saved = readSaved(configDir(env, envFile?.values, systemFile?.values));
  const all: Flags = { HH_ON_REFRESH: global.onRefresh, HH_PROFILE: global.profile, HH_MANAGER_ACCOUNT_ID: global.managerAccount, ...flags };
  const files: SettingsFiles = { envFile, systemFile, saved: saved.file === undefined ? undefined : { path: saved.file, mode: saved.mode! } };
  const config = new Config(all, env, envFile?.values ?? {}, saved.top, saved.profiles, systemFile?.values ?? {}, files);
  config.profileName(); // fails early, before any command does work, on a bad name
  return config;
}
