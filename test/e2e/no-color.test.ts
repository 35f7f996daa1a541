import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, HELP } from '../../src/cli/commands';
import type { CommandSpec } from '../../src/cli/spec';
import { freePort, runInTty, useHarness } from '../helpers';

/**
 * Colour, for every command of the table: on a real terminal (where chalk colours by itself)
 * NO_COLOR and the global --no-color leave no escape byte anywhere in what is printed,
 * --no-color even against FORCE_COLOR (also on the hot path, refresh and token); and
 * FORCE_COLOR does colour the labels that are coloured (error:, doctor's marks).
 */
const h = useHarness();
const ESC = '\u001b';
const ERROR = /\u001b\[31merror:\u001b\[39m/;
const TERMINAL = { TERM: 'xterm' };

interface Row {
  argv: (dir: string) => string[] | Promise<string[]>;
  /** What FORCE_COLOR must colour in its output; undefined: this run prints nothing coloured. */
  coloured?: RegExp;
  /** Something its plain output must still show (that it printed what it prints). */
  shows: RegExp;
}

/** One run of every command and subcommand, each printing what it prints most (often an error with its hint). */
const ROWS: Record<string, Row> = {
  'authorize-url': { argv: () => ['authorize-url', '--redirect-uri', 'not a url'], coloured: ERROR, shows: /error: / },
  exchange: { argv: () => ['exchange', 'not-a-code'], coloured: ERROR, shows: /error: / },
  // On a terminal login prints a QR code, which is made of escape sequences unless colour is off.
  login: { argv: async () => ['login', '--listen', `127.0.0.1:${await freePort()}`, '--timeout', '1s', '--no-probe', '--no-open'], coloured: ERROR, shows: /█/ },
  refresh: { argv: () => ['refresh'], coloured: ERROR, shows: /error: no token file/ },
  whoami: { argv: () => ['whoami'], coloured: ERROR, shows: /error: / },
  config: { argv: () => ['config'], coloured: ERROR, shows: /needs a subcommand/ },
  'config set': { argv: () => ['config', 'set', 'http-timeout', 'soon'], coloured: ERROR, shows: /error: http-timeout/ },
  'config get': { argv: () => ['config', 'get', 'clientid'], coloured: /\u001b\[36mhint:\u001b\[39m did you mean client-id/, shows: /hint: did you mean/ },
  'config unset': { argv: () => ['config', 'unset', 'user-agent'], shows: /user-agent/ },
  'config list': { argv: () => ['config', 'list'], shows: /client-id/ },
  doctor: { argv: () => ['doctor', '--skip-systemd', '--skip-nginx'], coloured: /\u001b\[2m–\u001b\[22m timers/, shows: /– timers/ },
  status: { argv: () => ['status'], coloured: ERROR, shows: /missing/ },
  // On a terminal it refuses to print the token (no --show): an error with its hint.
  token: { argv: () => ['token'], coloured: ERROR, shows: /error: refusing to print the token/ },
  revoke: { argv: () => ['revoke', '--yes'], coloured: ERROR, shows: /error: / },
  // The first run stores one; the next ones say it is there already.
  'app-token': { argv: () => ['app-token'], shows: /application token/ },
  'install-units': { argv: (dir) => ['install-units', '--dry-run', '--root', join(dir, 'root'), '--server-name', 'a;b'], coloured: ERROR, shows: /--server-name must be/ },
  profiles: { argv: () => ['profiles'], shows: /no profiles/ },
  'profiles list': { argv: () => ['profiles', 'list'], shows: /no profiles/ },
  'profiles set': { argv: () => ['profiles', 'set', 'manager-acount', '1'], coloured: ERROR, shows: /did you mean manager-account/ },
  'profiles unset': { argv: () => ['--profile', 'acme', 'profiles', 'unset', 'manager-account'], shows: /acme/ },
  sandbox: { argv: () => ['sandbox', '--persona', 'nobody'], coloured: ERROR, shows: /error: / },
  'uninstall-units': { argv: (dir) => ['uninstall-units', '--root', dir], shows: /left in place/ },
  store: { argv: () => ['store'], shows: /Usage: hh-oauth store/ },
  'store init': { argv: () => ['store', 'init'], shows: /needs nothing created/ },
  'store copy': { argv: () => ['store', 'copy', '--from', 'nowhere', '--to', 'elsewhere'], coloured: ERROR, shows: /error: --from: / },
  completion: { argv: () => ['completion', 'fish'], coloured: ERROR, shows: /error: completion: unknown shell/ },
  help: { argv: () => ['help', 'refrsh'], coloured: ERROR, shows: /did you mean `hh-oauth help refresh`/ },
};

function paths(specs: readonly CommandSpec[], prefix = ''): string[] {
  return specs.flatMap((spec) => [`${prefix}${spec.name}`, ...paths(spec.subcommands ?? [], `${prefix}${spec.name} `)]);
}

describe('colour', () => {
  it('the table below covers every command and subcommand', () => {
    expect(Object.keys(ROWS).sort()).toEqual([...paths(COMMANDS), HELP.name].sort());
  });

  it.each(Object.entries(ROWS))('%s: no escape byte under NO_COLOR or --no-color on a terminal; FORCE_COLOR colours it', async (_name, row) => {
    const argv = await row.argv(h.dir);
    const noColor = await runInTty(argv, h.env({ ...TERMINAL, NO_COLOR: '1' }));
    expect(noColor.stdout).toMatch(row.shows);
    expect(noColor.stdout.includes(ESC), noColor.stdout).toBe(false);
    // The flag wins even over FORCE_COLOR, before the command's name (as a global option) or after it.
    for (const flagged of [['--no-color', ...argv], [...argv, '--no-color']]) {
      const out = await runInTty(flagged, h.env({ ...TERMINAL, FORCE_COLOR: '1' }));
      expect(out.stdout, flagged.join(' ')).toMatch(row.shows);
      expect(out.stdout.includes(ESC), `${flagged.join(' ')}:\n${out.stdout}`).toBe(false);
    }
    if (row.coloured) {
      const forced = await h.run(argv, { env: { FORCE_COLOR: '1' } });
      expect(forced.stdout + forced.stderr).toMatch(row.coloured);
    }
  }, 60_000);

  it('on a terminal, login\'s QR code is coloured cells when colour is on, plain block characters when it is off', async () => {
    const argv = ['login', '--listen', `127.0.0.1:${await freePort()}`, '--timeout', '1s', '--no-probe', '--no-open'];
    const colour = await runInTty(argv, h.env(TERMINAL));
    expect(colour.stdout).toMatch(/\u001b\[4[07]m/);
    const plain = await runInTty(argv, h.env({ ...TERMINAL, NO_COLOR: '1' }));
    expect(plain.stdout).toMatch(/[█▀▄]{5}/);
    expect(plain.stdout.includes(ESC)).toBe(false);
    expect(plain.stdout).toContain('scan the code with a phone');
  });
});
