import type { Config } from '../config/config';
import { configError, usageError } from '../errors';
import { trustedProgram } from '../system/file-trust';

/**
 * The rotation hook (--on-refresh CMD / HH_ON_REFRESH): a command run after a new
 * pair is stored, e.g. `systemctl try-restart my-bot.service`. This module is on
 * the refresh path, so it stays tiny; the runner (and execa) load only when a hook
 * is configured and a refresh or exchange actually happened.
 */
export type HookEvent = 'refreshed' | 'exchanged';

export interface RefreshHook {
  argv: string[];
  timeoutSeconds: number;
  run(event: HookEvent, tokenFile: string, expiresAt: Date): Promise<void>;
}

/** Characters a shell would treat specially; outside quotes they mean the user wanted a shell. */
const SHELL_SYNTAX = new Set(['|', '&', ';', '<', '>', '(', ')', '$', '`', '*', '?']);

/**
 * Splits a command line into argv the way a shell would for simple commands, and
 * nothing more: whitespace separates words; '…' is literal; in "…" a backslash
 * escapes only " \ $ and `; outside quotes a backslash escapes the next character.
 * No variables, globs, pipes or redirections: those are refused, with a pointer to
 * `sh -c '…'`, so a command never means something other than what it says.
 * Returns the argv, or a message saying what is wrong.
 */
export function splitCommand(command: string): string[] | string {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const append = (s: string) => (word = (word ?? '') + s);
  while (i < command.length) {
    const c = command[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) return 'a single quote is not closed';
      append(command.slice(i + 1, end));
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      for (; j < command.length && command[j] !== '"'; j++) {
        if (command[j] === '\\' && j + 1 < command.length && '"\\$`'.includes(command[j + 1]!)) j++;
        else if (command[j] === '$' || command[j] === '`') return `"${command[j]}" inside double quotes needs a shell; write sh -c '…'`;
        text += command[j];
      }
      if (j >= command.length) return 'a double quote is not closed';
      append(text);
      i = j + 1;
    } else if (c === '\\') {
      if (i + 1 >= command.length) return 'the command ends with a backslash';
      // A backslash-newline joins lines, as in a shell.
      if (command[i + 1] !== '\n') append(command[i + 1]!);
      i += 2;
    } else if (SHELL_SYNTAX.has(c) || (word === undefined && (c === '~' || c === '#'))) {
      return `"${c}" is shell syntax; to use a shell, write it out: sh -c '…'`;
    } else {
      append(c);
      i++;
    }
  }
  if (word !== undefined) words.push(word);
  if (words.length === 0) return 'the command is empty';
  // As in a shell, only an unquoted NAME= at the very start is an assignment.
  if (/^\s*[A-Za-z_][A-Za-z0-9_]*=/.test(command)) return 'variable assignments need `env`: write env NAME=value command …';
  return words;
}

/**
 * The configured hook, validated, or undefined. Called before a grant is spent, so a typo
 * fails early and costs nothing. Its program (the path given, or what PATH finds) must be
 * trusted (file-trust.ts): root runs it, so a program that another user could change would
 * run their code as root. It then runs by the path that was checked. A program that is not
 * there at all is left to the run, which warns "command not found".
 */
export function refreshHook(config: Config): RefreshHook | undefined {
  const setting = config.get('HH_ON_REFRESH');
  if (!setting) return undefined;
  const argv = splitCommand(setting.value);
  if (typeof argv === 'string') {
    const message = `cannot use the on-refresh command: ${argv}`;
    throw setting.origin === 'flag' ? usageError(message, 'fix --on-refresh') : configError(message, 'fix HH_ON_REFRESH (see "Rotation hook" in the README)');
  }
  const timeoutSeconds = config.seconds('HH_ON_REFRESH_TIMEOUT');
  const program = trustedProgram('the on-refresh command', argv[0]!, config.env.PATH);
  return {
    argv,
    timeoutSeconds,
    async run(event, tokenFile, expiresAt) {
      const { runHook } = await hookRunner();
      await runHook(argv, timeoutSeconds, { HH_TOKEN_FILE: tokenFile, HH_EXPIRES_AT: expiresAt.toISOString(), HH_EVENT: event }, config.env, program);
    },
  };
}

// Once per process: see fetchEngine in hh/http.ts.
let runner: Promise<typeof import('./hook-runner')> | undefined;
export const hookRunner = () => (runner ??= import('./hook-runner'));
