import { REFRESH, TOKEN } from './hot-commands';
import type { CommandSpec } from './spec';

/**
 * Every command, declared once: name, description, arguments, options with their
 * defaults, help examples. The commander program (program.ts) is built from this table,
 * in this order, and each command module's options type is derived from its entry
 * (`OptionsFor<typeof LOGIN>`); the hot commands' entries live in hot-commands.ts, where
 * the hot path reads them too. Which module runs a command is in loaders.ts.
 *
 * Adding an option: add it to the command's entry here; the command receives it, typed.
 * Adding a command: an entry here, listed in COMMANDS; its module in src/commands/; its
 * loader in loaders.ts (the compiler asks for it).
 */
export const PROGRAM = {
  name: 'hh-oauth',
  description: 'Get, keep, refresh and check an hh.ru OAuth token on a server.',
  examples: [
    'hh-oauth authorize-url --open',
    'hh-oauth exchange -            # paste the callback URL on stdin',
    'hh-oauth refresh --json',
    'hh-oauth whoami --json | jq .email',
    'hh-oauth --profile acme whoami',
  ],
} as const satisfies CommandSpec;

// Shared by the commands that build an authorization URL.
const FORCE_LOGIN = { flags: '--force-login', description: 'always show hh.ru\'s login form' } as const;
const SKIP_CHOOSE_ACCOUNT = { flags: '--skip-choose-account', description: 'skip the "continue as …" page' } as const;
/** Where `hh-oauth login` listens, and so where nginx sends /callback. */
const CALLBACK_LISTEN = '127.0.0.1:8400';

export const AUTHORIZE_URL = {
  name: 'authorize-url',
  description: 'print the hh.ru authorization URL (remembers its state for `exchange`)',
  options: [
    { flags: '--state <state>', description: 'state to send (default: 128 random bits)' },
    { flags: '--redirect-uri <uri>', description: 'redirect URI (default: HH_REDIRECT_URI)' },
    FORCE_LOGIN,
    SKIP_CHOOSE_ACCOUNT,
    { flags: '--open', description: 'also open a browser, when this machine has a display' },
  ],
  examples: ['hh-oauth authorize-url', 'hh-oauth authorize-url --json | jq -r .url'],
} as const satisfies CommandSpec;

export const EXCHANGE = {
  name: 'exchange',
  description: 'trade the authorization code for tokens and store them',
  arguments: [{ name: '[code-or-url]', description: 'the code, the whole callback URL, or - to read it from stdin (default)' }],
  options: [
    { flags: '--redirect-uri <uri>', description: 'redirect URI, when authorize-url was not used' },
    { flags: '--state <state>', description: 'expected state, when passing a bare code' },
  ],
  examples: [
    "hh-oauth exchange -   # then paste 'https://example.com/callback?code=…&state=…'",
    'pbpaste | hh-oauth exchange --json',
  ],
} as const satisfies CommandSpec;

export const LOGIN = {
  name: 'login',
  description: 'authorize in one step: listen for hh.ru\'s redirect on HH_REDIRECT_URI, exchange the code, store the token',
  options: [
    { flags: '--listen <host:port>', description: 'where the callback listener binds (the nginx /callback upstream)', default: CALLBACK_LISTEN },
    { flags: '--timeout <duration>', description: 'how long to wait for the redirect (e.g. 90s, 10m, 1h)', default: '10m' },
    FORCE_LOGIN,
    SKIP_CHOOSE_ACCOUNT,
    { flags: '--no-open', description: 'do not open a browser (one is opened only where a display exists)' },
    { flags: '--no-probe', description: 'skip the reachability probe of HH_REDIRECT_URI before printing the URL' },
    { flags: '--check-only', description: 'only probe whether HH_REDIRECT_URI reaches this listener, then exit' },
  ],
  examples: [
    'hh-oauth login                      # prints the URL (and a QR code on a terminal), waits, stores the token',
    'hh-oauth login --check-only         # does https://…/callback reach 127.0.0.1:8400 through nginx?',
    'hh-oauth login --timeout 30m --json | jq .me.email',
  ],
} as const satisfies CommandSpec;

export const WHOAMI = {
  name: 'whoami',
  description: 'show whom the stored token belongs to (GET /me), refreshing it first if it has expired',
  options: [{ flags: '--manager-accounts', description: 'list the employer\'s manager accounts (GET /manager_accounts/mine) instead' }],
  examples: [
    'hh-oauth whoami',
    'hh-oauth whoami --json | jq .email',
    'hh-oauth --profile acme whoami --manager-accounts',
    'hh-oauth --profile acme --manager-account 5000002 whoami',
  ],
} as const satisfies CommandSpec;

export const CONFIG_SET = {
  name: 'set',
  description: 'save a default (client-secret: read from stdin, never from the command line)',
  arguments: [
    { name: '<key>', description: 'setting key, e.g. client-id, redirect-uri, user-agent, token-file (see `config list`)' },
    { name: '[value]', description: 'the value, or - to read it from stdin' },
  ],
  examples: [
    'hh-oauth config set redirect-uri https://bot.example.com/callback',
    "hh-oauth config set user-agent '<product>/<version> (<mailbox someone reads>)'",
    'hh-oauth config set client-secret < secret.txt',
  ],
} as const satisfies CommandSpec;

export const CONFIG_GET = {
  name: 'get',
  description: 'print the effective value of one setting (secrets masked)',
  arguments: [{ name: '<key>', description: 'setting key' }],
  examples: ['hh-oauth config get token-file', 'hh-oauth config get client-id --json | jq .origin'],
} as const satisfies CommandSpec;

export const CONFIG_UNSET = {
  name: 'unset',
  description: 'remove a saved default',
  arguments: [{ name: '<key>', description: 'setting key' }],
  examples: ['hh-oauth config unset client-secret'],
} as const satisfies CommandSpec;

export const CONFIG_LIST = {
  name: 'list',
  description: 'show every setting, its effective value and where it came from (flag, env, env-file, config, default)',
  examples: ['hh-oauth config list', "hh-oauth config list --json | jq '.settings[\"token-file\"]'"],
} as const satisfies CommandSpec;

export const CONFIG = {
  name: 'config',
  description: 'save, show and remove default settings (the lowest layer, below flags, env and --env-file)',
  examples: [
    'hh-oauth config set client-id ABC123',
    'hh-oauth config set client-secret < secret.txt    # secrets only from stdin',
    'hh-oauth config get redirect-uri',
    'hh-oauth config list --json | jq .settings',
    'hh-oauth config unset user-agent',
  ],
  subcommands: [CONFIG_SET, CONFIG_GET, CONFIG_UNSET, CONFIG_LIST],
} as const satisfies CommandSpec;

export const DOCTOR = {
  name: 'doctor',
  description: 'check the whole setup: settings, token, hh.ru, timers, nginx, callback URL, clock',
  options: [
    { flags: '--nginx-conf <path>', description: 'nginx file to check (default /etc/nginx/sites-enabled/hh-oauth.conf, tested with the system nginx.conf); a server-block file is tested on its own in a minimal nginx.conf' },
    { flags: '--skip-systemd', description: 'do not check the timers (they run elsewhere, or this is a container)' },
    { flags: '--skip-nginx', description: 'do not check nginx (the callback is proxied elsewhere)' },
    { flags: '--no-refresh', description: 'do not refresh an expired token before asking /me (read-only)' },
  ],
  examples: [
    'sudo -u hh-oauth hh-oauth doctor',
    'hh-oauth doctor --json | jq \'.checks[] | select(.ok | not)\'',
    'hh-oauth doctor --skip-systemd --nginx-conf ./hh-oauth.conf',
  ],
} as const satisfies CommandSpec;

export const STATUS = {
  name: 'status',
  description: 'show the token file, its expiry and the timers (no network); exit 4 when missing, 7 when corrupt',
  options: [
    { flags: '--format <format>', description: '"prometheus": every profile\'s expiry, last refresh and state in Prometheus\'s text format (node_exporter\'s textfile collector)', choices: ['prometheus'] },
    { flags: '--metrics-dir <dir>', description: 'with --format prometheus: write DIR/hh-oauth.prom atomically instead of stdout' },
  ],
  examples: ['hh-oauth status', 'hh-oauth status --json | jq -r .state', 'hh-oauth status --format prometheus --metrics-dir /var/lib/prometheus/node-exporter'],
} as const satisfies CommandSpec;

export const REVOKE = {
  name: 'revoke',
  description: 'revoke the token at hh.ru, then delete the token file (or rename it with --keep)',
  options: [
    { flags: '-y, --yes', description: 'do not ask for confirmation (needed without a terminal)' },
    { flags: '--keep', description: 'keep the file, renamed to <token file>.revoked-<time>' },
  ],
  examples: ['hh-oauth revoke', 'hh-oauth revoke --yes --keep --json'],
} as const satisfies CommandSpec;

export const APP_TOKEN = {
  name: 'app-token',
  description: 'get an application token (client_credentials) into HH_APP_TOKEN_FILE',
  options: [{ flags: '--rotate', description: 'replace the stored application token (hh.ru revokes the old one; once per 5 minutes)' }],
  examples: ['hh-oauth app-token', 'hh-oauth app-token --rotate --json', 'hh-oauth token --app'],
} as const satisfies CommandSpec;

export const INSTALL_UNITS = {
  name: 'install-units',
  description: 'install the hardened refresh service, its timers and the nginx callback proxy (run as root)',
  options: [
    { flags: '--server-name <host>', description: 'nginx server_name (default: the host of HH_REDIRECT_URI)' },
    { flags: '--listen <[addr:]port>', description: 'nginx listen address', default: '80' },
    { flags: '--callback-upstream <host:port>', description: 'where /callback goes (hh-oauth login listens here)', default: CALLBACK_LISTEN },
    { flags: '--app-upstream <host:port>', description: 'also proxy / to the bot\'s own web server' },
    { flags: '--on-calendar <spec>', description: 'when the refresh timer fires (repeatable; default "*-*-* 17:00:00")', repeatable: true },
    { flags: '--expiry-check <span>', description: 'how often to check for an expired token, or "off"', default: '10min' },
    { flags: '--user <name>', description: 'system user the service runs as (created when missing)', default: 'hh-oauth' },
    { flags: '--token-group <group>', description: 'make the token file 0640 with this group, for the bot that reads it' },
    { flags: '--client-secret-file <path>', description: 'give the service the client secret through LoadCredential= (default: HH_CLIENT_SECRET_FILE)' },
    { flags: '--db-password-file <path>', description: 'give the service the PostgreSQL store\'s password through LoadCredential= (default: HH_TOKEN_STORE_PASSWORD_FILE)' },
    { flags: '--node <path>', description: 'node binary the service runs (default: this one; not for the standalone binary)' },
    { flags: '--root <dir>', description: 'write under this prefix (packaging, tests); creates no user, enables nothing' },
    { flags: '--systemd-dir <dir>', description: 'where the units go', default: '/etc/systemd/system' },
    { flags: '--nginx-dir <dir>', description: 'where hh-oauth.conf goes (a sites-available dir also gets the sites-enabled link)', default: '/etc/nginx/sites-available' },
    { flags: '--nginx-log-dir <dir>', description: 'where the callback access log goes', default: '/var/log/nginx' },
    { flags: '--nginx-conf <file>', description: 'main nginx.conf for `nginx -t -c` (default: nginx\'s own)' },
    { flags: '--no-nginx', description: 'install the systemd units only' },
    { flags: '--all-profiles', description: 'the service refreshes every profile (`refresh --all`) instead of the single token' },
    { flags: '--per-profile', description: 'also install template units: enable hh-oauth-refresh@NAME.timer and hh-oauth-expiry@NAME.timer per profile' },
    { flags: '--metrics-dir <dir>', description: 'after every run the service writes DIR/hh-oauth.prom (status --format prometheus) for node_exporter\'s textfile collector; DIR becomes writable for it' },
    { flags: '--no-enable', description: 'write the files only: no systemctl, no nginx -t/reload' },
    { flags: '--force', description: 'replace files changed by hand (keeping a .bak)' },
    { flags: '--dry-run', description: 'print the rendered files; write nothing' },
  ],
  examples: [
    'sudo hh-oauth install-units --server-name bot.example.com',
    'sudo hh-oauth --env-file /etc/hh-oauth.env install-units --token-group bots --app-upstream 127.0.0.1:8000',
    'hh-oauth install-units --dry-run --server-name bot.example.com',
    'hh-oauth install-units --root ./pkgroot --no-nginx --json',
    'sudo hh-oauth install-units --no-nginx --all-profiles --metrics-dir /var/lib/prometheus/node-exporter',
  ],
} as const satisfies CommandSpec;

export const UNINSTALL_UNITS = {
  name: 'uninstall-units',
  description: 'stop and disable the service and timers that install-units put in place, then remove their unit files (run as root; the token and its directory stay)',
  options: [
    { flags: '--keep-files', description: 'only stop and disable; leave the unit files (what the .deb does on remove)' },
    { flags: '--force', description: 'also remove unit files changed by hand (keeping a .bak)' },
    { flags: '--root <dir>', description: 'remove under this prefix (packaging, tests); runs no systemctl' },
    { flags: '--systemd-dir <dir>', description: 'where the units are', default: '/etc/systemd/system' },
  ],
  examples: ['sudo hh-oauth uninstall-units', 'sudo hh-oauth uninstall-units --keep-files --json'],
} as const satisfies CommandSpec;

export const COMPLETION = {
  name: 'completion',
  description: 'print a shell completion script (commands, options, profile names, setting keys)',
  arguments: [{ name: '<shell>', description: 'bash or zsh' }],
  examples: ['source <(hh-oauth completion bash)', 'hh-oauth completion zsh > "${fpath[1]}/_hh-oauth"'],
} as const satisfies CommandSpec;

export const PROFILES_LIST = {
  name: 'list',
  description: 'list the profiles (the default when no subcommand is given)',
  isDefault: true,
} as const satisfies CommandSpec;

const PER_PROFILE_KEY = { name: '<key>', description: 'the setting: manager-account' } as const;

export const PROFILES_SET = {
  name: 'set',
  description: 'save a setting for the selected profile only (--profile or HH_PROFILE)',
  arguments: [PER_PROFILE_KEY, { name: '<value>', description: 'its value' }],
} as const satisfies CommandSpec;

export const PROFILES_UNSET = {
  name: 'unset',
  description: 'remove a setting saved for the selected profile',
  arguments: [PER_PROFILE_KEY],
} as const satisfies CommandSpec;

export const PROFILES = {
  name: 'profiles',
  description: 'list the profiles (token files) with their state and expiry; save settings per profile',
  examples: [
    'hh-oauth profiles',
    "hh-oauth profiles --json | jq -r '.profiles[] | select(.state != \"valid\") | .name'",
    'hh-oauth --profile acme profiles set manager-account 5000002',
  ],
  subcommands: [PROFILES_LIST, PROFILES_SET, PROFILES_UNSET],
} as const satisfies CommandSpec;

export const STORE_INIT = {
  name: 'init',
  description: 'create or migrate what the selected store (HH_TOKEN_STORE) needs; idempotent',
} as const satisfies CommandSpec;

const STORE_ARG = 'a token file (as HH_TOKEN_FILE names it: its profiles/ and app-token.json come along), its directory, or a postgres:// DSN without password';

export const STORE_COPY = {
  name: 'copy',
  description: 'move every profile and the app token from one store to another, spending nothing; marks the source as moved',
  options: [
    { flags: '--from <store>', description: `where the tokens are now: ${STORE_ARG}` },
    { flags: '--to <store>', description: `where they go: ${STORE_ARG}` },
  ],
} as const satisfies CommandSpec;

export const STORE = {
  name: 'store',
  description: 'the token store: create it (init), or move tokens between stores (copy)',
  examples: [
    'hh-oauth store init',
    'hh-oauth store copy --from /var/lib/hh-token/token.json --to /srv/hh-token/token.json --json',
    'PGPASSFILE=/etc/hh-oauth/pgpass hh-oauth store copy --from /var/lib/hh-token --to postgresql://hh@db.example/hh?sslmode=verify-full',
  ],
  subcommands: [STORE_INIT, STORE_COPY],
} as const satisfies CommandSpec;

export const SANDBOX = {
  name: 'sandbox',
  description: 'run a local hh.ru emulator for demos and tests (no network, no credentials)',
  options: [
    { flags: '--host <host>', description: 'address to listen on', default: '127.0.0.1' },
    { flags: '--port <port>', description: 'port (0 = any free port)', default: '8300' },
    { flags: '--expires-in <seconds>', description: 'access token lifetime', default: '1209600' },
    { flags: '--code-ttl <seconds>', description: 'authorization code lifetime', default: '600' },
    { flags: '--redirect-uri <uri>', description: 'redirect URI registered for the sandbox client', default: `http://${CALLBACK_LISTEN}/callback` },
    { flags: '--deny', description: 'answer every authorization with access_denied' },
    { flags: '--rate-limit <n>', description: 'answer HTTP 429 (the DDoS-guard page) beyond N requests per second per IP, as hh.ru does' },
    { flags: '--persona <kind>', description: 'whose token the sandbox grants (/me, manager accounts)', choices: ['employer', 'employer_integration', 'applicant'], default: 'employer' },
  ],
  examples: ['hh-oauth sandbox --port 8300 --expires-in 60', 'hh-oauth sandbox --port 0 --json'],
} as const satisfies CommandSpec;

/**
 * `hh-oauth help [command…|topic]`, in place of commander's own help command: besides a
 * command's help it has the topics (help-topics.ts), and a word it does not know is a usage
 * error with one hint. Listed last in `hh-oauth --help`; program.ts wires it.
 */
export const HELP = {
  name: 'help',
  description: 'show the help of a command, or a topic: environment (every variable), exit-codes',
  arguments: [{ name: '[command-or-topic...]', description: 'a command (`config set`), environment or exit-codes' }],
  examples: ['hh-oauth help config set', 'hh-oauth help environment', 'hh-oauth help exit-codes --json | jq \'.exit_codes[] | select(.retried_by_systemd)\''],
} as const satisfies CommandSpec;

/** In the order of `hh-oauth --help`. */
export const COMMANDS = [
  AUTHORIZE_URL,
  EXCHANGE,
  LOGIN,
  REFRESH,
  WHOAMI,
  CONFIG,
  DOCTOR,
  STATUS,
  TOKEN,
  REVOKE,
  APP_TOKEN,
  INSTALL_UNITS,
  UNINSTALL_UNITS,
  PROFILES,
  STORE,
  SANDBOX,
  COMPLETION,
] as const satisfies readonly CommandSpec[];
