import chalk from 'chalk';
import { HhOauthError } from './errors';

/**
 * All terminal output goes through here: stdout for data only, stderr for people.
 * Under systemd (JOURNAL_STREAM) every stderr line carries an sd-daemon priority
 * prefix and no colour, so `journalctl -t hh-oauth -p warning` filters correctly.
 */
type Level = 'error' | 'warn' | 'info' | 'debug';
const PRIORITY: Record<Level, string> = { error: '<3>', warn: '<4>', info: '<6>', debug: '<7>' };

const state = {
  json: false,
  journal: Boolean(process.env.JOURNAL_STREAM),
  debug: Boolean(process.env.HH_DEBUG),
};

export function setJsonMode(json: boolean): void {
  state.json = json;
}

export function isJsonMode(): boolean {
  return state.json;
}

function paint(level: Level, text: string): string {
  if (state.journal) return text;
  switch (level) {
    case 'error':
      return `${chalk.red('error:')} ${text}`;
    case 'warn':
      return `${chalk.yellow('warning:')} ${text}`;
    case 'debug':
      return chalk.dim(text);
    default:
      return text;
  }
}

function emit(level: Level, message: string): void {
  if (level === 'debug' && !state.debug) return;
  const lines = message.split('\n').map((line) => (state.journal ? PRIORITY[level] + line : paint(level, line)));
  process.stderr.write(lines.join('\n') + '\n');
}

export const log = {
  error: (message: string) => emit('error', message),
  warn: (message: string) => emit('warn', message),
  info: (message: string) => emit('info', message),
  debug: (message: string) => emit('debug', message),
};

/**
 * The command's result. With --json, exactly one JSON document on stdout; otherwise
 * the human text (if any) on stdout, which is the data a script wants.
 */
export function result(json: unknown, text?: string): void {
  if (state.json) process.stdout.write(JSON.stringify(json) + '\n');
  else if (text !== undefined) process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

/** At most the first 4 characters of a secret, so logs can refer to one without leaking it. */
export function mask(secret: string): string {
  return secret.length <= 4 ? '****' : `${secret.slice(0, 4)}…`;
}

export function reportError(err: HhOauthError): void {
  if (state.json && !err.answered) {
    const error: Record<string, string> = { code: err.code, message: err.message };
    if (err.suggestion) error.suggestion = err.suggestion;
    if (err.hhError !== undefined) error.hh_error = err.hhError;
    if (err.hhErrorDescription !== undefined) error.hh_error_description = err.hhErrorDescription;
    process.stdout.write(JSON.stringify({ error }) + '\n');
  }
  emit('error', err.message);
  if (err.suggestion) emit('info', `${state.journal ? '' : chalk.cyan('hint:')}${state.journal ? 'hint: ' : ' '}${err.suggestion}`);
  if (state.debug && err.cause) emit('debug', String((err.cause as Error)?.stack ?? err.cause));
}
