import type { CommandSpec, OptionsFor } from './spec';

/**
 * The declarations of the commands that scripts and timers run in loops. They live apart
 * from the rest of the table (commands.ts) because the hot path (src/main.ts, bundled as
 * dist/main.cjs) parses with them and should carry no other command's text.
 *
 * A hot command's options may only be `--name` or `--name <value>` without a default
 * (parseHotArgs refuses anything else); an option marked `cold` is for commander alone,
 * and an argv that uses it is handed over. To make another command hot: move its
 * declaration here, give it a runner in src/cli/hot/ (listed in src/main.ts) that answers
 * the common case and returns HANDOVER otherwise, and list it in src/cli/hot/full.ts.
 */
export const REFRESH = {
  name: 'refresh',
  description: 'refresh the token if (and only if) the access token has expired',
  options: [
    { flags: '--force', description: 'ask hh.ru even if the token looks valid here (hh.ru still refuses before expiry)' },
    // Cold: `refresh --all` always takes the full path (many files, many locks).
    { flags: '--all', description: 'every profile: the default file and each profiles/NAME.json, each under its own lock', cold: true },
    { flags: '--concurrency <n>', description: 'with --all: how many profiles at a time (default 4)', cold: true },
    { flags: '--rate <n>', description: 'with --all: at most N requests per second to hh.ru in this run (default: HH_RATE_LIMIT, 5; 0: unpaced)', cold: true },
    // Cold: the long-running refresher (src/worker/) never starts from the hot path.
    { flags: '--watch', description: 'keep running: refresh each token when it expires (with --all: every profile); for hosts without systemd', cold: true },
    { flags: '--log-format <format>', description: 'with --watch: "human" lines (default) or one JSON object per event on stderr', choices: ['human', 'json'], cold: true },
    { flags: '--listen <[host:]port>', description: 'with --watch: serve /healthz and /metrics here (a port alone: 127.0.0.1)', cold: true },
  ],
  examples: [
    'hh-oauth refresh',
    'hh-oauth refresh --json | jq .seconds_left',
    'hh-oauth --profile acme refresh',
    'hh-oauth refresh --all --concurrency 8 --json | jq \'.profiles[] | select(.status == "failed") | .name\'',
    'hh-oauth refresh --watch --all --log-format json --listen 9464',
  ],
} as const satisfies CommandSpec;

export const TOKEN = {
  name: 'token',
  description: 'print the access token alone on stdout (refreshing it first if it has expired)',
  options: [
    { flags: '--header', description: 'print `Authorization: Bearer …` instead' },
    { flags: '--show', description: 'print it even when stdout is a terminal' },
    { flags: '--app', description: 'print the application token (see app-token) instead' },
  ],
  examples: [
    'curl -H "Authorization: Bearer $(hh-oauth token)" https://api.hh.ru/me',
    'curl -H "$(hh-oauth token --header)" https://api.hh.ru/me',
  ],
} as const satisfies CommandSpec;

export const HOT_COMMANDS = { refresh: REFRESH, token: TOKEN } as const satisfies Record<string, CommandSpec>;

export type HotName = keyof typeof HOT_COMMANDS;
export type HotOptions = { [N in HotName]: OptionsFor<(typeof HOT_COMMANDS)[N]> };
