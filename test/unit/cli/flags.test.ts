import './stand-ins';
import { describe, expect, it } from 'vitest';
import { parseInProcess } from './parse-recorder';

/**
 * How the command line is read, table-driven and in-process: the real commander program,
 * every command module a recording stand-in. Each row is one argv and what the command
 * module receives, or the usage error (exit 2) that stops it before any module runs.
 * (command-table.test.ts holds the program to the recorded corpus; these rows say, in
 * the open, the rules that corpus follows. Exit 2 and the JSON error through the real
 * process are in test/e2e/exit-codes.test.ts.)
 */
const U = { $undefined: true };
const INSTALL_DEFAULTS = {
  listen: '80',
  callbackUpstream: '127.0.0.1:8400',
  expiryCheck: '10min',
  user: 'hh-oauth',
  systemdDir: '/etc/systemd/system',
  nginxDir: '/etc/nginx/sites-available',
  nginxLogDir: '/var/log/nginx',
  nginx: true,
  enable: true,
};
const SANDBOX_DEFAULTS = { host: '127.0.0.1', port: '8300', expiresIn: '1209600', codeTtl: '600', redirectUri: 'http://127.0.0.1:8400/callback', persona: 'employer' };
const LOGIN_DEFAULTS = { listen: '127.0.0.1:8400', timeout: '10m', open: true, probe: true };

type Row = [argv: string[], call: string, args: unknown[], opts: Record<string, unknown>];

const parsed: Row[] = [
  // Globals: before or after the command, `--opt value` or `--opt=value`.
  [['refresh'], 'refresh/index#default', [], {}],
  [['--json', 'refresh', '--force'], 'refresh/index#default', [], { json: true, force: true }],
  [['refresh', '--force', '--json'], 'refresh/index#default', [], { json: true, force: true }],
  [['--env-file', '/etc/hh.env', 'status'], 'status#default', [], { envFile: '/etc/hh.env' }],
  [['status', '--env-file=/etc/hh.env'], 'status#default', [], { envFile: '/etc/hh.env' }],
  [['--profile', 'acme', '--manager-account', '5000002', 'whoami', '--manager-accounts'], 'whoami#default', [], { profile: 'acme', managerAccount: '5000002', managerAccounts: true }],
  [['refresh', '--on-refresh', 'systemctl try-restart bot'], 'refresh/index#default', [], { onRefresh: 'systemctl try-restart bot' }],
  [['--no-color', 'status'], 'status#default', [], { color: false }],
  [['config', 'list', '--no-color'], 'config#configList', [], { color: false }],
  // A global option takes the next word as its value, even one that looks like an option.
  [['refresh', '--env-file', '--force'], 'refresh/index#default', [], { envFile: '--force' }],
  [['refresh', '--all', '--concurrency', '8'], 'refresh/index#default', [], { all: true, concurrency: '8' }],
  [['token', '--header', '--show', '--app'], 'token#default', [], { header: true, show: true, app: true }],
  // Defaults are filled in; a --no- flag is true until given.
  [['login'], 'login#default', [], LOGIN_DEFAULTS],
  [['login', '--no-open', '--no-probe', '--timeout=30m'], 'login#default', [], { ...LOGIN_DEFAULTS, open: false, probe: false, timeout: '30m' }],
  [['doctor'], 'doctor#default', [], { refresh: true }],
  [['doctor', '--no-refresh', '--skip-systemd', '--nginx-conf', './x.conf'], 'doctor#default', [], { refresh: false, skipSystemd: true, nginxConf: './x.conf' }],
  [['install-units'], 'install-units#default', [], INSTALL_DEFAULTS],
  // A repeatable option collects its values in order.
  [['install-units', '--on-calendar', 'daily', '--on-calendar=*-*-* 05:00:00'], 'install-units#default', [], { ...INSTALL_DEFAULTS, onCalendar: ['daily', '*-*-* 05:00:00'] }],
  [['sandbox'], 'sandbox#default', [], SANDBOX_DEFAULTS],
  [['sandbox', '--persona', 'employer_integration', '--port=0', '--deny'], 'sandbox#default', [], { ...SANDBOX_DEFAULTS, persona: 'employer_integration', port: '0', deny: true }],
  [['revoke', '-y', '--keep'], 'revoke#default', [], { yes: true, keep: true }],
  [['authorize-url', '--state', 'abc', '--force-login', '--open'], 'authorize-url#default', [], { state: 'abc', forceLogin: true, open: true }],
  // Positional arguments come first, an optional one as undefined when absent.
  [['exchange'], 'exchange#default', [U], {}],
  [['exchange', '-', '--state', 's1'], 'exchange#default', ['-'], { state: 's1' }],
  [['exchange', '--', '-x'], 'exchange#default', ['-x'], {}],
  [['config', 'set', 'client-id', 'ABC'], 'config#configSet', ['client-id', 'ABC'], {}],
  [['config', 'set', 'client-secret'], 'config#configSet', ['client-secret', U], {}],
  [['config', '--json', 'get', 'token-file'], 'config#configGet', ['token-file'], { json: true }],
  [['config', 'unset', 'user-agent'], 'config#configUnset', ['user-agent'], {}],
  [['config', 'list'], 'config#configList', [], {}],
  // `profiles` alone runs its default subcommand, list.
  [['profiles'], 'profiles#default', [], {}],
  [['profiles', '--json'], 'profiles#default', [], { json: true }],
  [['--profile', 'acme', 'profiles', 'set', 'manager-account', '5000002'], 'profile-settings#set', ['manager-account', '5000002'], { profile: 'acme' }],
  [['profiles', 'unset', 'manager-account'], 'profile-settings#unset', ['manager-account'], {}],
];

const USAGE = 'run `hh-oauth --help` for usage';
const refused: Array<[argv: string[], message: string, suggestion?: string]> = [
  // Moved here from test/e2e/bad-input.test.ts ("the command line"), which spawned the CLI for each.
  [['refresh', '--bogus'], "unknown option '--bogus'"],
  // Commander's "(Did you mean …?)" is the one hint line, not a second line of the error.
  [['refersh'], "unknown command 'refersh'", 'did you mean refresh? (`hh-oauth --help` for usage)'],
  [['refresh', 'now'], "too many arguments for 'refresh'. Expected 0 arguments but got 1."],
  [['authorize-url', '--state'], "option '--state <state>' argument missing"],
  // A flag does not take a value with `=`; commander suggests the flag.
  [['refresh', '--force=1'], "unknown option '--force=1'", 'did you mean --force? (`hh-oauth --help` for usage)'],
  [['login', '--open'], "unknown option '--open'", 'did you mean --no-open? (`hh-oauth --help` for usage)'],
  [['sandbox', '--persona', 'root'], "option '--persona <kind>' argument 'root' is invalid. Allowed choices are employer, employer_integration, applicant."],
  [['config', 'get'], "missing required argument 'key'"],
  [['config', 'bogus'], 'unknown command `hh-oauth config bogus`', 'run `hh-oauth config --help` for the commands'],
  [['config', 'lst'], 'unknown command `hh-oauth config lst`', 'did you mean `hh-oauth config list`?'],
  [['profiles', 'lst'], 'unknown command `hh-oauth profiles lst`', 'did you mean `hh-oauth profiles list`?'],
  [['help', 'refrsh'], 'unknown command `hh-oauth help refrsh`', 'did you mean `hh-oauth help refresh`?'],
  [['help', 'bogus'], 'unknown command `hh-oauth help bogus`', 'run `hh-oauth --help` for the commands (and the topics: environment, exit-codes)'],
  [['help', 'environment', 'extra'], '`hh-oauth help environment` takes nothing after it', 'run `hh-oauth help environment`'],
  [['profiles', 'set', 'manager-account'], "missing required argument 'value'"],
  [['--env-file'], "option '--env-file <path>' argument missing"],
  [['-z'], "unknown option '-z'"],
  [['--no-color=1', 'status'], "unknown option '--no-color=1'", 'did you mean --no-color? (`hh-oauth --help` for usage)'],
  // Only commander's help for a bare group or program ends so; it is "no command given", never "(outputHelp)".
  [['--json'], 'no command given'],
];

describe('the command line, in-process', () => {
  it.each(parsed)('%j runs %s', async (argv, call, args, opts) => {
    const outcome = await parseInProcess(argv);
    // The global --no-color: color is true unless it is given.
    expect(outcome).toStrictEqual({ kind: 'action', call: `commands/${call}`, args, opts: { color: true, ...opts }, stdout: '', stderr: '' });
  });

  it.each(refused)('%j is a usage error: %s', async (argv, message, suggestion = USAGE) => {
    const outcome = await parseInProcess(argv);
    // kind 'error' also means that no command module ran (a stand-in would have recorded the call).
    expect(outcome).toMatchObject({ kind: 'error', code: 2, error: 'usage', message, suggestion, stdout: '' });
  });

  it('`config` alone prints its help on stderr and is a usage error (moved from test/e2e/config.test.ts)', async () => {
    const outcome = await parseInProcess(['config']);
    expect(outcome).toMatchObject({ kind: 'error', code: 2, error: 'usage', message: '`hh-oauth config` needs a subcommand: set, get, unset or list', stdout: '' });
    expect(outcome.stderr).toContain('set <key> [value]');
    expect(outcome.stderr).toMatch(/^Usage: hh-oauth config \[options\] \[command\]/);
  });

  it('no argument at all prints the help on stderr and is a usage error', async () => {
    const outcome = await parseInProcess([]);
    expect(outcome).toMatchObject({ kind: 'error', code: 2, error: 'usage', message: 'no command given', stdout: '' });
    expect(outcome.stderr).toMatch(/^Usage: hh-oauth \[options\] \[command\]/);
  });

  it('help and the version end the parse with exit 0 and run nothing', async () => {
    expect(await parseInProcess(['refresh', '--help'])).toMatchObject({ kind: 'exit', code: 0, stdout: expect.stringMatching(/^Usage: hh-oauth refresh \[options\]/) });
    expect(await parseInProcess(['help', 'exchange'])).toMatchObject({ kind: 'exit', code: 0, stdout: expect.stringMatching(/^Usage: hh-oauth exchange \[options\] \[code-or-url\]/) });
    expect(await parseInProcess(['config', 'set', '-h'])).toMatchObject({ kind: 'exit', code: 0, stdout: expect.stringMatching(/^Usage: hh-oauth config set \[options\] <key> \[value\]/) });
    expect(await parseInProcess(['-V'])).toMatchObject({ kind: 'exit', code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });
});
