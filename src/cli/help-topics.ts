import { DEFAULT_TOKEN_FILE, SETTINGS, type SettingName } from '../config/config';
import { SYSTEM_ENV_FILE } from '../config/env-file';
import { EXIT_CODES, type ErrorCode } from '../errors';
import { CREDENTIAL } from '../system/unit-names';

/**
 * The help topics beside the commands' own help: `hh-oauth help environment` and
 * `hh-oauth help exit-codes`. The names come from their one source (SETTINGS in
 * src/config/config.ts, EXIT_CODES in src/errors.ts); what each means is written here,
 * and the Record types make the compiler ask for a line when a setting or a code is added.
 * The variables that are not settings are listed here too; test/e2e/help.test.ts fails
 * when src/ reads one that this list lacks.
 */

const SETTING_HELP: Record<SettingName, string> = {
  HH_CLIENT_ID: 'the application\'s client id (dev.hh.ru); needed to authorize',
  HH_CLIENT_SECRET: 'the application\'s secret; never a flag (`config set client-secret` reads stdin)',
  HH_CLIENT_SECRET_FILE: 'a file holding the secret (its first line)',
  HH_REDIRECT_URI: 'the redirect URI registered at dev.hh.ru',
  HH_USER_AGENT: 'sent as User-Agent and HH-User-Agent: `App/1.0 (contact@example.com)`',
  HH_TOKEN_FILE: `the token file (default: $STATE_DIRECTORY/token.json under systemd, else ${DEFAULT_TOKEN_FILE})`,
  HH_AUTHORIZE_URL: 'hh.ru\'s authorization page',
  HH_TOKEN_URL: 'hh.ru\'s token endpoint',
  HH_API_URL: 'the API base, for /me and revocation',
  HH_HTTP_TIMEOUT: 'seconds per HTTP attempt',
  HH_HTTP_RETRIES: 'retries of a temporary failure (0-10)',
  HH_RATE_LIMIT: 'requests per second to hh.ru from one process (0: unpaced)',
  HH_LOCK_TIMEOUT: 'seconds to wait for a token file\'s lock',
  HH_APP_TOKEN_FILE: 'the application token\'s file (default: app-token.json beside the default token file)',
  HH_TOKEN_STORE: 'where tokens live: empty for the token file (the default), or a postgres:// DSN for a shared PostgreSQL store (its password never in the DSN you type: PGPASSFILE, or the environment)',
  HH_TOKEN_STORE_PASSWORD_FILE: 'a file whose first line is the PostgreSQL store\'s password (mode 0600; or the systemd credential hh-db-password, PGPASSFILE, PGPASSWORD)',
  HH_ON_REFRESH: 'the rotation hook: a command run after a new pair is stored (also --on-refresh)',
  HH_ON_REFRESH_TIMEOUT: 'seconds the hook may run before it is stopped',
  HH_PROFILE: 'the profile whose token file is used (also --profile)',
  HH_MANAGER_ACCOUNT_ID: 'the employer manager account sent as X-Manager-Account-Id (also --manager-account)',
};

/** Read from the environment, never saved with `config set`. */
export const OTHER_VARIABLES: ReadonlyArray<{ name: string; help: string }> = [
  { name: 'HH_CONFIG_DIR', help: 'where config.json and pending.json live (default: $XDG_CONFIG_HOME/hh-oauth, else ~/.config/hh-oauth); also from --env-file or the system settings file' },
  { name: 'HH_SYSTEM_ENV_FILE', help: `the system settings file (default: ${SYSTEM_ENV_FILE}; empty: none); the process environment only` },
  { name: 'HH_TOKEN_GROUP', help: 'token files are written 0640 in this group, their directories 0750; the process environment only' },
  { name: 'HH_DEBUG', help: 'any value: debug lines on stderr' },
  { name: 'NO_COLOR', help: 'not empty: no colour (unless FORCE_COLOR is set); the --no-color flag always wins' },
  { name: 'FORCE_COLOR', help: 'colour even where stdout is no terminal (0 turns colour off)' },
  { name: 'TF_BUILD, AGENT_NAME', help: 'Azure Pipelines: colour, as chalk decides it there' },
  { name: 'JOURNAL_STREAM', help: 'set by systemd: every stderr line gets its journal priority (<3> error … <7> debug) and no colour' },
  { name: 'STATE_DIRECTORY', help: 'set by systemd (StateDirectory=): the default token file is in it' },
  { name: 'CREDENTIALS_DIRECTORY', help: `set by systemd (LoadCredential=): the client secret is read from its file ${CREDENTIAL}` },
  { name: 'XDG_CONFIG_HOME, HOME', help: 'where the saved settings are, without HH_CONFIG_DIR' },
  { name: 'DISPLAY, WAYLAND_DISPLAY', help: 'a browser is opened (--open, login) only where one of them is set' },
  { name: 'XDG_RUNTIME_DIR', help: 'where login writes the private page a browser opener gets instead of the login link (when it is ours and 0700; else the temp directory)' },
  { name: 'PATH', help: 'where systemctl, nginx, useradd, getent, systemd-analyze and the browser are found (each must be trusted)' },
  { name: 'PGHOST, PGPORT, PGDATABASE, PGUSER', help: 'the PostgreSQL store (HH_TOKEN_STORE): what its URL leaves out, as libpq reads them' },
  { name: 'PGPASSWORD, PGPASSFILE', help: "the PostgreSQL store's password when the URL and HH_TOKEN_STORE_PASSWORD_FILE have none (PGPASSFILE, else ~/.pgpass: mode 0600, libpq's rule)" },
  { name: 'PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY', help: 'the PostgreSQL store\'s TLS when the URL does not say (another machine needs verify-full, or require said explicitly)' },
  { name: 'PGCONNECT_TIMEOUT, PGAPPNAME', help: 'the PostgreSQL store\'s connect timeout (default 10 s) and application name' },
  { name: 'USER, LOGNAME', help: 'the PostgreSQL store\'s user name when neither the URL nor PGUSER gives one' },
];

/** Given to the rotation hook (HH_ON_REFRESH), besides hh-oauth's own environment without the secrets. */
const HOOK_VARIABLES: ReadonlyArray<{ name: string; help: string }> = [
  { name: 'HH_EVENT', help: '`refreshed` or `exchanged`' },
  { name: 'HH_TOKEN_FILE', help: 'the token file that was written' },
  { name: 'HH_EXPIRES_AT', help: 'the new access token\'s expiry (ISO 8601)' },
];

const EXIT_CODE_HELP: Record<ErrorCode, { meaning: string; retry: boolean }> = {
  internal: { meaning: 'an unexpected error, a bug (rerun with HH_DEBUG=1 and report it)', retry: false },
  usage: { meaning: 'unknown command or option, malformed argument', retry: false },
  config: { meaning: 'a setting is missing or invalid (client id, secret, redirect URI, a settings file)', retry: false },
  reauthorize: { meaning: 'authorize again: no token file, or hh.ru says the code or token is dead', retry: false },
  rejected: { meaning: 'hh.ru refused for another reason (invalid_client, a bad redirect URI, another 4xx)', retry: false },
  temporary: { meaning: 'network, timeout, HTTP 5xx or 429: the service retries it 5 minutes later', retry: true },
  store: { meaning: 'unreadable or corrupt token file, permissions, lock timeout, failed write', retry: false },
};

export const HELP_TOPICS = ['environment', 'exit-codes'] as const;
export type HelpTopic = (typeof HELP_TOPICS)[number];

const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

export function environmentJson() {
  return {
    settings: SETTING_NAMES.map((name) => {
      const spec: { key: string; default?: string; secret?: boolean } = SETTINGS[name];
      return { name, key: spec.key, default: spec.default ?? null, secret: spec.secret === true, description: SETTING_HELP[name] };
    }),
    environment: OTHER_VARIABLES.map((v) => ({ name: v.name, description: v.help })),
    hook: HOOK_VARIABLES.map((v) => ({ name: v.name, description: v.help })),
  };
}

export function exitCodesJson() {
  return {
    exit_codes: [
      { code: 0, name: null, meaning: 'success (a refresh that is not due included)', retried_by_systemd: false },
      ...(Object.keys(EXIT_CODES) as ErrorCode[]).map((name) => ({ code: EXIT_CODES[name], name, meaning: EXIT_CODE_HELP[name].meaning, retried_by_systemd: EXIT_CODE_HELP[name].retry })),
    ],
  };
}

/** Rows as two columns: the name, then its text (wrapped under itself when long). */
function table(rows: ReadonlyArray<readonly [string, string]>, width = 80): string {
  // Two spaces of indent, the name, two spaces; a name longer than that gets a line of its own.
  const left = Math.min(27, Math.max(...rows.map(([name]) => name.length)) + 4);
  return rows
    .map(([name, text]) => {
      const lines = wrap(text, width - left);
      const first = name.length + 4 > left ? [`  ${name}`, ''.padEnd(left) + lines[0]] : [`  ${name.padEnd(left - 2)}${lines[0]}`];
      return [...first, ...lines.slice(1).map((l) => ''.padEnd(left) + l)].join('\n');
    })
    .join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

export function environmentText(): string {
  const doc = environmentJson();
  const settings = doc.settings.map((s) => [s.name, `${s.description}${s.default === null ? '' : ` [default: ${s.default}]`} (config key: ${s.key})`] as const);
  return [
    'Settings, each taken from the first of: a flag, the environment, --env-file,',
    'the system settings file, `hh-oauth config set`, the default:',
    table(settings),
    '',
    'Also read from the environment:',
    table(doc.environment.map((v) => [v.name, v.description] as const)),
    '',
    'Given to the --on-refresh hook (with this environment, minus the secrets):',
    table(doc.hook.map((v) => [v.name, v.description] as const)),
    '',
    'Effective values and where each came from: hh-oauth config list',
    '',
  ].join('\n');
}

export function exitCodesText(): string {
  const rows = exitCodesJson().exit_codes.map((e) => [String(e.code), `${e.name === null ? '' : `${e.name}: `}${e.meaning}`] as const);
  return [
    'Exit codes (the same for every command; with --json, error.code is the name):',
    table(rows),
    '',
    'The units retry only 6 (Restart=on-failure, RestartPreventExitStatus= the others).',
    'Several failures in one run (doctor, refresh --all) exit with the most serious.',
    '',
  ].join('\n');
}
