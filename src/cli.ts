import { Command, CommanderError, Option } from 'commander';
import { HhOauthError, toHhOauthError, usageError } from './errors';
import { GLOBAL_OPTIONS, HOT_COMMANDS, hotCommand, VERSION_FLAGS } from './hot-path';
import { prepareColours, reportError, setJsonMode } from './output';
import { VERSION } from './version';

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
    ))
    .exitOverride()
    .configureOutput({ outputError: () => undefined });

  program
    .command('authorize-url')
    .description('print the hh.ru authorization URL (remembers its state for `exchange`)')
    .option('--state <state>', 'state to send (default: 128 random bits)')
    .option('--redirect-uri <uri>', 'redirect URI (default: HH_REDIRECT_URI)')
    .option('--force-login', 'always show hh.ru\'s login form')
    .option('--skip-choose-account', 'skip the "continue as …" page')
    .option('--open', 'also open a browser, when this machine has a display')
    .addHelpText('after', examples('hh-oauth authorize-url', 'hh-oauth authorize-url --json | jq -r .url'))
    .action(action(() => import('./commands/authorize-url')));

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
    .action(action(() => import('./commands/exchange')));

  hotCommand(program, HOT_COMMANDS.refresh)
    .addHelpText('after', examples(...HOT_COMMANDS.refresh.examples))
    .action(action(() => import('./commands/refresh')));

  program
    .command('whoami')
    .description('show whom the stored token belongs to (GET /me), refreshing it first if it has expired')
    .addHelpText('after', examples('hh-oauth whoami', 'hh-oauth whoami --json | jq .email'))
    .action(action(() => import('./commands/whoami')));

  program
    .command('sandbox')
    .description('run a local hh.ru emulator for demos and tests (no network, no credentials)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .addOption(new Option('--port <port>', 'port (0 = any free port)').default('8300'))
    .option('--expires-in <seconds>', 'access token lifetime', '1209600')
    .option('--code-ttl <seconds>', 'authorization code lifetime', '600')
    .option('--redirect-uri <uri>', 'redirect URI registered for the sandbox client', 'http://127.0.0.1:8400/callback')
    .option('--deny', 'answer every authorization with access_denied')
    .addOption(new Option('--user <kind>', 'whose /me to serve').choices(['applicant', 'employer']).default('applicant'))
    .addHelpText('after', examples('hh-oauth sandbox --port 8300 --expires-in 60', 'hh-oauth sandbox --port 0 --json'))
    .action(action(() => import('./commands/sandbox')));

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
