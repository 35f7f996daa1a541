import { Command, CommanderError, Option } from 'commander';
import { HhOauthError, toHhOauthError, usageError } from '../errors';
import { GLOBAL_OPTIONS, HOT_COMMANDS, hotCommand, VERSION_FLAGS } from './hot-args';
import { prepareColours, reportError, setJsonMode, write } from '../output';
import { VERSION } from '../version';

/**
 * Wiring only. Each command's module is imported inside its action, so a command
 * pays at start-up only for what it uses (refresh never loads conf, open or execa).
 * The hot commands (src/hot-path.ts) usually run without this file: see src/main.ts.
 */
type Loader = () => Promise<{ default: (...args: any[]) => Promise<void> }>;

function action(load: Loader) {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const positional = args.slice(0, -2);
    const opts = command.optsWithGlobals();
    setJsonMode(Boolean(opts.json));
    const { default: run } = await load();
    await run(...positional, opts);
  };
}

const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

export function buildProgram(): Command {
  const program = new Command('hh-oauth')
    .description('Get, keep, refresh and check an hh.ru OAuth token on a server.')
    .version(VERSION, VERSION_FLAGS);
  for (const option of GLOBAL_OPTIONS) program.option(option.flags, option.description);
  program
    .addHelpText('after', examples(
      'hh-oauth authorize-url --open',
      'hh-oauth exchange -            # paste the callback URL on stdin',
      'hh-oauth refresh --json',
      'hh-oauth whoami --json | jq .email',
      'hh-oauth --profile acme whoami',
    ))
    .exitOverride()
    // Through write(): `hh-oauth --help | head` must end quietly, not with a stack trace for EPIPE.
    .configureOutput({ writeOut: (text) => write(1, text), writeErr: (text) => write(2, text), outputError: () => undefined });

  program
    .command('authorize-url')
    .description('print the hh.ru authorization URL (remembers its state for `exchange`)')
    .option('--state <state>', 'state to send (default: 128 random bits)')
    .option('--redirect-uri <uri>', 'redirect URI (default: HH_REDIRECT_URI)')
    .option('--force-login', 'always show hh.ru\'s login form')
    .option('--skip-choose-account', 'skip the "continue as …" page')
    .option('--open', 'also open a browser, when this machine has a display')
    .addHelpText('after', examples('hh-oauth authorize-url', 'hh-oauth authorize-url --json | jq -r .url'))
    .action(action(() => import('../commands/authorize-url')));

  program
    .command('exchange')
    .description('trade the authorization code for tokens and store them')
    .argument('[code-or-url]', 'the code, the whole callback URL, or - to read it from stdin (default)')
    .option('--redirect-uri <uri>', 'redirect URI, when authorize-url was not used')
    .option('--state <state>', 'expected state, when passing a bare code')
    .addHelpText('after', examples(
      "hh-oauth exchange -   # then paste 'https://example.com/callback?code=…&state=…'",
      "pbpaste | hh-oauth exchange --json",
    ))
    .action(action(() => import('../commands/exchange')));

  program
    .command('login')
    .description('authorize in one step: listen for hh.ru\'s redirect on HH_REDIRECT_URI, exchange the code, store the token')
    .option('--listen <host:port>', 'where the callback listener binds (the nginx /callback upstream)', '127.0.0.1:8400')
    .option('--timeout <duration>', 'how long to wait for the redirect (e.g. 90s, 10m, 1h)', '10m')
    .option('--force-login', 'always show hh.ru\'s login form')
    .option('--skip-choose-account', 'skip the "continue as …" page')
    .option('--no-open', 'do not open a browser (one is opened only where a display exists)')
    .option('--no-probe', 'skip the reachability probe of HH_REDIRECT_URI before printing the URL')
    .option('--check-only', 'only probe whether HH_REDIRECT_URI reaches this listener, then exit')
    .addHelpText('after', examples(
      'hh-oauth login                      # prints the URL (and a QR code on a terminal), waits, stores the token',
      'hh-oauth login --check-only         # does https://…/callback reach 127.0.0.1:8400 through nginx?',
      'hh-oauth login --timeout 30m --json | jq .me.email',
    ))
    .action(action(() => import('../commands/login')));

  hotCommand(program, HOT_COMMANDS.refresh)
    // Not in the hot table: `refresh --all` always takes the full path (many files, many locks).
    .option('--all', 'every profile: the default file and each profiles/NAME.json, each under its own lock')
    .option('--concurrency <n>', 'with --all: how many profiles at a time (default 4)')
    .option('--rate <n>', 'with --all: at most N requests per second to hh.ru in this run (default: HH_RATE_LIMIT, 5; 0: unpaced)')
    .addHelpText('after', examples(
      ...HOT_COMMANDS.refresh.examples,
      'hh-oauth --profile acme refresh',
      'hh-oauth refresh --all --concurrency 8 --json | jq \'.profiles[] | select(.status == "failed") | .name\'',
    ))
    .action(action(() => import('../commands/refresh')));

  program
    .command('whoami')
    .description('show whom the stored token belongs to (GET /me), refreshing it first if it has expired')
    .option('--manager-accounts', 'list the employer\'s manager accounts (GET /manager_accounts/mine) instead')
    .addHelpText('after', examples(
      'hh-oauth whoami',
      'hh-oauth whoami --json | jq .email',
      'hh-oauth --profile acme whoami --manager-accounts',
      'hh-oauth --profile acme --manager-account 5000002 whoami',
    ))
    .action(action(() => import('../commands/whoami')));

  const config = program
    .command('config')
    .description('save, show and remove default settings (the lowest layer, below flags, env and --env-file)')
    .addHelpText('after', examples(
      'hh-oauth config set client-id ABC123',
      'hh-oauth config set client-secret < secret.txt    # secrets only from stdin',
      'hh-oauth config get redirect-uri',
      'hh-oauth config list --json | jq .settings',
      'hh-oauth config unset user-agent',
    ))
    .action(() => {
      config.outputHelp({ error: true });
      throw usageError('`hh-oauth config` needs a subcommand: set, get, unset or list');
    });
  const configAction = (name: 'configSet' | 'configGet' | 'configUnset' | 'configList') =>
    action(() => import('../commands/config').then((m) => ({ default: m[name] as (...args: any[]) => Promise<void> })));
  config
    .command('set')
    .description('save a default (client-secret: read from stdin, never from the command line)')
    .argument('<key>', 'setting key, e.g. client-id, redirect-uri, user-agent, token-file (see `config list`)')
    .argument('[value]', 'the value, or - to read it from stdin')
    .addHelpText('after', examples(
      'hh-oauth config set redirect-uri https://bot.example.com/callback',
      "hh-oauth config set user-agent 'MyBot/1.0 (ops@example.com)'",
      'hh-oauth config set client-secret < secret.txt',
    ))
    .action(configAction('configSet'));
  config
    .command('get')
    .description('print the effective value of one setting (secrets masked)')
    .argument('<key>', 'setting key')
    .addHelpText('after', examples('hh-oauth config get token-file', 'hh-oauth config get client-id --json | jq .origin'))
    .action(configAction('configGet'));
  config
    .command('unset')
    .description('remove a saved default')
    .argument('<key>', 'setting key')
    .addHelpText('after', examples('hh-oauth config unset client-secret'))
    .action(configAction('configUnset'));
  config
    .command('list')
    .description('show every setting, its effective value and where it came from (flag, env, env-file, config, default)')
    .addHelpText('after', examples('hh-oauth config list', "hh-oauth config list --json | jq '.settings[\"token-file\"]'"))
    .action(configAction('configList'));

  program
    .command('doctor')
    .description('check the whole setup: settings, token, hh.ru, timers, nginx, callback URL, clock')
    .option('--nginx-conf <path>', 'nginx file to check (default /etc/nginx/sites-enabled/hh-oauth.conf, tested with the system nginx.conf); a server-block file is tested on its own in a minimal nginx.conf')
    .option('--skip-systemd', 'do not check the timers (they run elsewhere, or this is a container)')
    .option('--skip-nginx', 'do not check nginx (the callback is proxied elsewhere)')
    .option('--no-refresh', 'do not refresh an expired token before asking /me (read-only)')
    .addHelpText('after', examples(
      'sudo -u hh-oauth hh-oauth doctor',
      'hh-oauth doctor --json | jq \'.checks[] | select(.ok | not)\'',
      'hh-oauth doctor --skip-systemd --nginx-conf ./hh-oauth.conf',
    ))
    .action(action(() => import('../commands/doctor')));

  program
    .command('status')
    .description('show the token file, its expiry and the timers (no network); exit 4 when missing, 7 when corrupt')
    .addHelpText('after', examples('hh-oauth status', 'hh-oauth status --json | jq -r .state'))
    .action(action(() => import('../commands/status')));

  hotCommand(program, HOT_COMMANDS.token)
    .addHelpText('after', examples(...HOT_COMMANDS.token.examples))
    .action(action(() => import('../commands/token')));

  program
    .command('revoke')
    .description('revoke the token at hh.ru, then delete the token file (or rename it with --keep)')
    .option('-y, --yes', 'do not ask for confirmation (needed without a terminal)')
    .option('--keep', 'keep the file, renamed to <token file>.revoked-<time>')
    .addHelpText('after', examples('hh-oauth revoke', 'hh-oauth revoke --yes --keep --json'))
    .action(action(() => import('../commands/revoke')));

  program
    .command('app-token')
    .description('get an application token (client_credentials) into HH_APP_TOKEN_FILE')
    .option('--rotate', 'replace the stored application token (hh.ru revokes the old one; once per 5 minutes)')
    .addHelpText('after', examples('hh-oauth app-token', 'hh-oauth app-token --rotate --json', 'hh-oauth token --app'))
    .action(action(() => import('../commands/app-token')));
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  program
    .command('install-units')
    .description('install the hardened refresh service, its timers and the nginx callback proxy (run as root)')
    .option('--server-name <host>', 'nginx server_name (default: the host of HH_REDIRECT_URI)')
    .option('--listen <[addr:]port>', 'nginx listen address', '80')
    .option('--callback-upstream <host:port>', 'where /callback goes (hh-oauth login listens here)', '127.0.0.1:8400')
    .option('--app-upstream <host:port>', 'also proxy / to the bot\'s own web server')
    .option('--on-calendar <spec>', `when the refresh timer fires (repeatable; default "*-*-* 17:00:00")`, collect)
    .option('--expiry-check <span>', 'how often to check for an expired token, or "off"', '10min')
    .option('--user <name>', 'system user the service runs as (created when missing)', 'hh-oauth')
    .option('--token-group <group>', 'make the token file 0640 with this group, for the bot that reads it')
    .option('--client-secret-file <path>', 'give the service the client secret through LoadCredential= (default: HH_CLIENT_SECRET_FILE)')
    .option('--node <path>', 'node binary the service runs (default: this one)')
    .option('--root <dir>', 'write under this prefix (packaging, tests); creates no user, enables nothing')
    .option('--systemd-dir <dir>', 'where the units go', '/etc/systemd/system')
    .option('--nginx-dir <dir>', 'where hh-oauth.conf goes (a sites-available dir also gets the sites-enabled link)', '/etc/nginx/sites-available')
    .option('--nginx-log-dir <dir>', 'where the callback access log goes', '/var/log/nginx')
    .option('--nginx-conf <file>', 'main nginx.conf for `nginx -t -c` (default: nginx\'s own)')
    .option('--no-nginx', 'install the systemd units only')
    .option('--all-profiles', 'the service refreshes every profile (`refresh --all`) instead of the single token')
    .option('--per-profile', 'also install template units: enable hh-oauth-refresh@NAME.timer and hh-oauth-expiry@NAME.timer per profile')
    .option('--no-enable', 'write the files only: no systemctl, no nginx -t/reload')
    .option('--force', 'replace files changed by hand (keeping a .bak)')
    .option('--dry-run', 'print the rendered files; write nothing')
    .addHelpText('after', examples(
      'sudo hh-oauth install-units --server-name bot.example.com',
      'sudo hh-oauth --env-file /etc/hh-oauth.env install-units --token-group bots --app-upstream 127.0.0.1:8000',
      'hh-oauth install-units --dry-run --server-name bot.example.com',
      'hh-oauth install-units --root ./pkgroot --no-nginx --json',
    ))
    .action(action(() => import('../commands/install-units')));
  const profiles = program
    .command('profiles')
    .description('list the profiles (token files) with their state and expiry; save settings per profile')
    .addHelpText('after', examples(
      'hh-oauth profiles',
      "hh-oauth profiles --json | jq -r '.profiles[] | select(.state != \"valid\") | .name'",
      'hh-oauth --profile acme profiles set manager-account 5000002',
    ));
  profiles
    .command('list', { isDefault: true })
    .description('list the profiles (the default when no subcommand is given)')
    .action(action(() => import('../commands/profiles')));
  profiles
    .command('set')
    .description('save a setting for the selected profile only (--profile or HH_PROFILE)')
    .argument('<key>', 'the setting: manager-account')
    .argument('<value>', 'its value')
    .action(action(() => import('../commands/profile-settings').then((m) => ({ default: m.set }))));
  profiles
    .command('unset')
    .description('remove a setting saved for the selected profile')
    .argument('<key>', 'the setting: manager-account')
    .action(action(() => import('../commands/profile-settings').then((m) => ({ default: m.unset }))));

  program
    .command('sandbox')
    .description('run a local hh.ru emulator for demos and tests (no network, no credentials)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .addOption(new Option('--port <port>', 'port (0 = any free port)').default('8300'))
    .option('--expires-in <seconds>', 'access token lifetime', '1209600')
    .option('--code-ttl <seconds>', 'authorization code lifetime', '600')
    .option('--redirect-uri <uri>', 'redirect URI registered for the sandbox client', 'http://127.0.0.1:8400/callback')
    .option('--deny', 'answer every authorization with access_denied')
    .option('--rate-limit <n>', 'answer HTTP 429 (the DDoS-guard page) beyond N requests per second per IP, as hh.ru does')
    .addOption(new Option('--user <kind>', 'whose /me to serve').choices(['applicant', 'employer']).default('applicant'))
    .addHelpText('after', examples('hh-oauth sandbox --port 8300 --expires-in 60', 'hh-oauth sandbox --port 0 --json'))
    .action(action(() => import('../commands/sandbox')));

  return program;
}

async function main(argv: string[]): Promise<void> {
  // Decided before parsing, so that usage errors are reported in the requested format too.
  setJsonMode(argv.includes('--json'));
  const program = buildProgram();
  try {
    await prepareColours(argv);
    if (argv.length <= 2) {
      program.outputHelp({ error: true });
      throw usageError('no command given');
    }
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return;
      return fail(usageError(err.message.replace(/^error: /, ''), 'run `hh-oauth --help` for usage'));
    }
    fail(toHhOauthError(err));
  }
}

function fail(err: HhOauthError): void {
  reportError(err);
  process.exitCode = err.exitCode;
}

await main(process.argv);
