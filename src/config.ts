import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configError, errnoCode, HhOauthError, usageError } from './errors';
import { readEnvFile } from './env-file';
import { log } from './output';
import { VERSION } from './version';

/** Where a value came from, in the contract's order of precedence. */
export type Origin = 'flag' | 'env' | 'env-file' | 'config' | 'default';
export interface Setting {
  value: string;
  origin: Origin;
}

interface Spec {
  /** The name `hh-oauth config set` uses. */
  key: string;
  default?: string;
  secret?: boolean;
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
  HH_LOCK_TIMEOUT: { key: 'lock-timeout', default: '60' },
  HH_APP_TOKEN_FILE: { key: 'app-token-file' },
  HH_ON_REFRESH: { key: 'on-refresh' },
  HH_ON_REFRESH_TIMEOUT: { key: 'on-refresh-timeout', default: '60' },
} satisfies Record<string, Spec>;

export type SettingName = keyof typeof SETTINGS;
export type Flags = Partial<Record<SettingName, string | undefined>>;

export const DEFAULT_TOKEN_FILE = '/var/lib/hh-token/token.json';
const CREDENTIAL_NAME = 'hh-client-secret';

export interface GlobalOptions {
  envFile?: string;
  json?: boolean;
  /** The global --on-refresh CMD; a flag, so it wins over HH_ON_REFRESH. */
  onRefresh?: string;
}

/** The directory `hh-oauth config set` writes to; read here without loading conf (it is slow to import). */
export function configDir(env: NodeJS.ProcessEnv = process.env, envFile: Record<string, string> = {}): string | undefined {
  const explicit = env.HH_CONFIG_DIR ?? envFile.HH_CONFIG_DIR;
  if (explicit) return resolve(explicit);
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'hh-oauth');
  if (env.HOME) return join(env.HOME, '.config', 'hh-oauth');
  return undefined;
}

function readSaved(dir: string | undefined): Record<string, string> {
  if (!dir) return {};
  const file = join(dir, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return {};
    throw configError(`cannot read saved settings ${file} (${errnoCode(err) ?? 'error'})`, 'fix its permissions or remove it');
  }
  try {
    const data: unknown = JSON.parse(text);
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error('not an object');
    return Object.fromEntries(Object.entries(data).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    throw configError(`saved settings ${file} are not valid JSON`, `fix or remove ${file}, then use \`hh-oauth config set\``);
  }
}

export class Config {
  private warnedUserAgent = false;

  constructor(
    private readonly flags: Flags,
    readonly env: NodeJS.ProcessEnv,
    private readonly envFile: Record<string, string>,
    private readonly saved: Record<string, string>,
  ) {}

  get(name: SettingName): Setting | undefined {
    const spec: Spec = SETTINGS[name];
    const candidates: Array<[Origin, string | undefined]> = [
      ['flag', this.flags[name]],
      ['env', this.env[name]],
      ['env-file', this.envFile[name]],
      ['config', this.saved[spec.key]],
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
        `export ${name}=…, put it in the --env-file, or run \`hh-oauth config set ${key} …\``,
      );
    }
    return setting.value;
  }

  /** An http(s) URL setting, validated; a bad flag is a usage error, a bad env/file value a config error. */
  url(name: SettingName, purpose: string): string {
    const value = this.require(name, purpose);
    if (!isHttpUrl(value)) {
      const origin = this.get(name)?.origin;
      const message = `${name} is not an http(s) URL`;
      throw origin === 'flag'
        ? usageError(message, `give --${SETTINGS[name].key} an absolute URL such as https://example.com/callback`)
        : configError(message, `set ${name} to an absolute URL such as https://example.com/callback`);
    }
    return value;
  }

  optionalUrl(name: SettingName, purpose: string): string | undefined {
    return this.get(name) ? this.url(name, purpose) : undefined;
  }

  seconds(name: SettingName): number {
    const value = this.require(name, 'hh-oauth');
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) {
      throw configError(`${name} must be a positive number of seconds`, `set ${name} to a number of seconds such as ${(SETTINGS[name] as Spec).default ?? 30}, or unset it`);
    }
    return n;
  }

  tokenFile(): string {
    const explicit = this.get('HH_TOKEN_FILE');
    if (explicit) return resolve(explicit.value);
    const stateDir = this.env.STATE_DIRECTORY?.split(':')[0];
    return stateDir ? join(stateDir, 'token.json') : DEFAULT_TOKEN_FILE;
  }

  userAgent(): string {
    const setting = this.get('HH_USER_AGENT');
    if (setting) {
      if (/[\r\n\0]/.test(setting.value)) throw configError('HH_USER_AGENT contains a line break', 'set HH_USER_AGENT to one line, e.g. "MyBot/1.0 (ops@example.com)"');
      return setting.value;
    }
    if (!this.warnedUserAgent) {
      this.warnedUserAgent = true;
      log.warn('HH_USER_AGENT is not set; hh.ru asks for a contact, e.g. HH_USER_AGENT="MyBot/1.0 (ops@example.com)"');
    }
    return `hh-oauth/${VERSION}`;
  }

  /** The client secret: HH_CLIENT_SECRET, else the file in HH_CLIENT_SECRET_FILE, else the systemd credential. */
  clientSecret(purpose: string): string {
    const direct = this.get('HH_CLIENT_SECRET');
    if (direct) return direct.value;
    const file = this.get('HH_CLIENT_SECRET_FILE');
    if (file) return readSecretFile(file.value, 'HH_CLIENT_SECRET_FILE');
    const credentials = this.env.CREDENTIALS_DIRECTORY;
    if (credentials) {
      const path = join(credentials, CREDENTIAL_NAME);
      try {
        return readSecretFile(path, `systemd credential ${CREDENTIAL_NAME}`);
      } catch (err) {
        if (errnoCode((err as Error).cause) !== 'ENOENT') throw err;
      }
    }
    throw configError(
      `the client secret is not set; ${purpose} needs it`,
      'export HH_CLIENT_SECRET_FILE=/path/to/file (first line is the secret), set HH_CLIENT_SECRET in the environment or --env-file, or use LoadCredential=hh-client-secret:… under systemd',
    );
  }
}

function readSecretFile(path: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new HhOauthError('config', `cannot read the client secret from ${what} ${path} (${errnoCode(err) ?? 'error'})`, {
      suggestion: 'check the path and that this user can read the file',
      cause: err,
    });
  }
  const secret = text.split(/\r?\n/)[0]!.trim();
  if (!secret) throw configError(`the first line of ${what} ${path} is empty`, 'put the client secret on the first line');
  return secret;
}

export function isHttpUrl(value: string): boolean {
  if (/[\s\0]/.test(value)) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

export function loadConfig(global: GlobalOptions, flags: Flags = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const envFile = global.envFile ? readEnvFile(global.envFile) : {};
  return new Config({ HH_ON_REFRESH: global.onRefresh, ...flags }, env, envFile, readSaved(configDir(env, envFile)));
}
