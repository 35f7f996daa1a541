import { fstatSync, statSync, writeSync } from 'node:fs';
import type { ChalkInstance } from 'chalk';
import { errnoCode, type HhErrorEntry, type HhOauthError } from './errors';

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

type Colours = Pick<ChalkInstance, 'red' | 'yellow' | 'dim' | 'cyan' | 'green'>;
const same = (text: string) => text;
const PLAIN: Colours = { red: same, yellow: same, dim: same, cyan: same, green: same } as unknown as Colours;
/** chalk once prepareColours() has found that it may colour something; plain text until then. */
let chalk: Colours = PLAIN;

/**
 * Loads chalk only where it could colour something. Importing chalk costs about as much
 * as a whole `refresh` that finds the token valid (it probes the terminal), and every rule
 * by which chalk colours (FORCE_COLOR, --color flags, Azure's TF_BUILD, a terminal on
 * stdout) needs one of these, so elsewhere chalk would print exactly this plain text.
 * chalk itself ignores NO_COLOR; here a non-empty NO_COLOR (no-color.org) means plain
 * text, unless FORCE_COLOR asks for colour explicitly (the precedence Node gives them).
 * The global --no-color wins over both; it is read here, from argv, because this runs
 * before any parser (a usage error is printed by these rules too), and the hot path must
 * not even load chalk for it.
 */
export async function prepareColours(argv: string[] = process.argv, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (state.journal || chalk !== PLAIN) return;
  if (noColorFlag(argv)) return;
  if (env.NO_COLOR && !('FORCE_COLOR' in env)) return;
  const forced = 'FORCE_COLOR' in env || ('TF_BUILD' in env && 'AGENT_NAME' in env) || argv.some((a) => a.startsWith('--color'));
  if (forced || mayBeTerminal(1)) chalk = (await import('chalk')).default;
}

/** `--no-color` among the options, not after `--` (an operand there). */
function noColorFlag(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--no-color');
}

/**
 * Whether colour is on for this process (chalk loaded and colouring, no journal, no
 * --json): for output that is not a coloured word but art with escape sequences of its
 * own (login's QR code), which must then take a plain form.
 */
export function coloursOn(): boolean {
  return !state.journal && !state.json && chalk !== PLAIN && (chalk as Partial<ChalkInstance>).level !== 0;
}

// A superset of isatty() that does not load node:tty (a few ms): a terminal is a character
// device, and /dev/null (as in `hh-oauth refresh >/dev/null` from cron) is the one that is surely not.
export function mayBeTerminal(fd: number): boolean {
  try {
    const info = fstatSync(fd);
    return info.isCharacterDevice() && info.rdev !== statSync('/dev/null').rdev;
  } catch {
    return false;
  }
}

/**
 * Sees every stderr line first (the worker: its JSON lines, and dropping a warning it has
 * already printed); returning true means it has dealt with the line. Undefined restores
 * the plain behaviour.
 */
let sink: ((level: Level, message: string) => boolean) | undefined;
export function setLogSink(fn: typeof sink): void {
  sink = fn;
}

export function setJsonMode(json: boolean): void {
  state.json = json;
}

export function isJsonMode(): boolean {
  return state.json;
}

function labelled(level: Level, text: string, hint: boolean): string {
  if (state.journal) return hint ? `hint: ${text}` : text;
  if (hint) return `${chalk.cyan('hint:')} ${text}`;
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

/**
 * Every line on stderr, ours included, loses escape sequences and control characters
 * before it is labelled (and coloured): a terminal obeys them, and the journal keeps them.
 * Our own line breaks stay; a foreign value has lost its own already (printable()).
 */
function emit(level: Level, message: string, hint = false): void {
  if (level === 'debug' && !state.debug) return;
  if (sink?.(level, withoutControls(hint ? `hint: ${message}` : message, '\n\t'))) return;
  const lines = withoutControls(message, '\n\t')
    .split('\n')
    .map((line) => (state.journal ? PRIORITY[level] + labelled(level, line, hint) : labelled(level, line, hint)));
  write(2, lines.join('\n') + '\n');
}

// ESC sequences whole (CSI … final byte, OSC/DCS/APC/PM … ST or BEL, and two-byte ones), then
// any single control character left: C0, DEL and C1 (of which U+009B is a CSI of its own).
const ESCAPE_SEQUENCE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|[\]PX^_][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[ -/]*[0-~])?/g;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// Characters that reorder what a terminal shows (Trojan Source): a foreign value has no use for them.
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function withoutControls(text: string, keep: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(CONTROL, (c) => (keep.includes(c) ? c : ''));
}

/** The longest foreign value printed whole; a longer one is cut (hh.ru's descriptions are a few words). */
const FOREIGN_MAX = 300;

/**
 * A string that someone else wrote (hh.ru's error or error_description, a parameter of a
 * pasted URL, a name from /me, a server's Location header), made safe to print inside one
 * of our lines, on the terminal or in the journal: no escape sequences, no control
 * characters, no line breaks of its own (a tab or a line break becomes a space), no
 * bidirectional overrides, at most FOREIGN_MAX characters. The one function for every such
 * edge; --json output keeps the value as it was, JSON-escaped.
 */
export function printable(text: string): string {
  const flat = text.replace(/[\t\n\r\u2028\u2029]+/g, ' ');
  const clean = withoutControls(flat, '').replace(BIDI, '');
  return clean.length > FOREIGN_MAX ? `${clean.slice(0, FOREIGN_MAX)}…` : clean;
}

/**
 * Writes straight to the descriptor. process.stdout and process.stderr are created on first
 * use, and creating one loads Node's stream stack (and net, for a pipe or the journal's
 * socket): several milliseconds that a one-line answer does not need. A non-blocking
 * descriptor that is full falls back to the stream, which waits; a reader that has gone
 * away (EPIPE) or a closed descriptor is nobody left to tell.
 */
export function write(fd: 1 | 2, text: string): void {
  const bytes = Buffer.from(text);
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(fd, bytes, done);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EAGAIN') (fd === 1 ? process.stdout : process.stderr).write(bytes.subarray(done));
    else if (code !== 'EPIPE' && code !== 'EBADF') throw err;
  }
}

/** How a word of a human answer is marked: good (doctor's ✓), bad (✗), muted (–), hint (fix:). */
export type Tone = 'good' | 'bad' | 'muted' | 'hint';

/**
 * Colour for a human answer on stdout, by the same rules as the log lines: plain under
 * the journal, with --json, with NO_COLOR, and wherever chalk would not colour. A command
 * never imports chalk itself: this is the one place that decides.
 */
export function paint(tone: Tone, text: string): string {
  if (state.journal || state.json) return text;
  switch (tone) {
    case 'good':
      return chalk.green(text);
    case 'bad':
      return chalk.red(text);
    case 'muted':
      return chalk.dim(text);
    default:
      return chalk.cyan(text);
  }
}

export const log = {
  error: (message: string) => emit('error', message),
  warn: (message: string) => emit('warn', message),
  info: (message: string) => emit('info', message),
  debug: (message: string) => emit('debug', message),
  /**
   * A `hint:` line: what to do about the error or warning just printed, at that line's
   * priority, so that `journalctl -p warning` shows the fix with the problem.
   */
  hint: (message: string, level: 'error' | 'warn' | 'info' = 'info') => emit(level, message, true),
};

/**
 * The command's result. With --json, exactly one JSON document on stdout; otherwise
 * the human text (if any) on stdout, which is the data a script wants.
 */
export function result(json: unknown, text?: string): void {
  if (state.json) write(1, jsonLine(json));
  else if (text !== undefined) write(1, text.endsWith('\n') ? text : text + '\n');
}

/**
 * One JSON document on one line. JSON.stringify escapes C0 but leaves DEL, C1 (U+009B is a
 * terminal's CSI) and the two JavaScript line separators as they are: escaped here too, so
 * that `hh-oauth … --json` on a terminal is as inert as the human output. Same value.
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n';
}

/** At most the first 4 characters of a secret, so logs can refer to one without leaking it. */
export function mask(secret: string): string {
  return secret.length <= 4 ? '****' : `${secret.slice(0, 4)}…`;
}

/** The `--json` error object (docs/contract.md): hh.ru's fields only when hh.ru answered. */
export interface ErrorJson {
  code: HhOauthError['code'];
  message: string;
  suggestion?: string;
  hh_error?: string;
  hh_error_description?: string;
  request_id?: string;
  /** Every entry of an errors[] body, as hh.ru sent it. */
  errors?: readonly HhErrorEntry[];
}

export function errorJson(err: HhOauthError): ErrorJson {
  const error: ErrorJson = { code: err.code, message: err.message };
  if (err.suggestion) error.suggestion = err.suggestion;
  if (err.hhError !== undefined) error.hh_error = err.hhError;
  if (err.hhErrorDescription !== undefined) error.hh_error_description = err.hhErrorDescription;
  if (err.requestId !== undefined) error.request_id = err.requestId;
  if (err.hhErrors !== undefined) error.errors = err.hhErrors;
  return error;
}

export function reportError(err: HhOauthError): void {
  if (state.json && !err.answered) write(1, jsonLine({ error: errorJson(err) }));
  emit('error', err.message);
  // At the error's own priority: the journal keeps the fix with the failure it explains.
  if (err.suggestion) emit('error', err.suggestion, true);
  if (state.debug && err.cause) emit('debug', String((err.cause as Error)?.stack ?? err.cause));
}
