import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HhOauthError } from '../errors';
import { IN_SEA, seaAsset } from '../sea/sea';

/**
 * The files in systemd/ and nginx/ are templates with three constructs:
 * `{{name}}` inside a line, a line holding only `{{name}}` (replaced by zero or more
 * generated lines, systemd only), and `{{#if name}}…{{else}}…{{/if}}` blocks.
 * Values are validated before they get here (src/install/values.ts); the guards below
 * are a second line of defence, and tripping one is a bug, not a user error.
 */
export type Dialect = 'systemd' | 'nginx';
export type TemplateValues = Record<string, string | readonly string[] | undefined>;

/**
 * Resolved against the package root: the nearest directory above this module with a
 * package.json (dist/ is one level below it, src/install/ two).
 */
function fromRoot(rel: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, rel);
}

/**
 * The templates' one source is systemd/ and nginx/ in the source tree: the npm package
 * reads them there, the standalone binary carries them embedded (scripts/package.mjs), and
 * the .deb's /usr/share/hh-oauth/ copies are for operators to read, never read by hh-oauth.
 */
export function readTemplate(rel: string): string {
  return IN_SEA ? seaAsset(rel) : readFileSync(fromRoot(rel), 'utf8');
}

/** What the service runs: the real path of this package's bin/hh-oauth, or the standalone binary itself. */
export function packageBin(): string {
  return IN_SEA ? process.execPath : realpathSync(fromRoot('bin/hh-oauth'));
}

function bug(message: string): HhOauthError {
  return new HhOauthError('internal', `template rendering: ${message}`, {
    suggestion: 'this is a bug in hh-oauth (a value got past validation); please report it',
  });
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

/** Throws unless the text can sit on one line of the dialect without changing its structure. */
export function guard(text: string, dialect: Dialect, what: string): void {
  if (CONTROL.test(text)) throw bug(`${what} contains a control character`);
  if (dialect === 'systemd') {
    // A trailing backslash continues a unit file line; a lone % starts a specifier.
    if (text.includes('\\')) throw bug(`${what} contains a backslash`);
    // %i (the instance name of a template unit) is the one specifier we write on purpose.
    if (text.replace(/%%|%i/g, '').includes('%')) throw bug(`${what} contains an unescaped %`);
  } else if (!/^[^\s;{}#'"`$\\]+$/u.test(text)) {
    throw bug(`${what} is not a single plain nginx token`);
  }
}

const truthy = (v: TemplateValues[string]) => (Array.isArray(v) ? v.length > 0 : Boolean(v));

export function renderTemplate(template: string, values: TemplateValues, dialect: Dialect): string {
  const out: string[] = [];
  // One entry per open {{#if}}: whether its current branch is emitted.
  const stack: Array<{ emit: boolean; parent: boolean }> = [];
  const emitting = () => stack.every((s) => s.emit);

  for (const line of template.split('\n')) {
    const block = /^\s*\{\{(#if (\w+)|else|\/if)\}\}\s*$/.exec(line);
    if (block) {
      if (block[2] !== undefined) stack.push({ emit: truthy(values[block[2]]), parent: emitting() });
      else if (!stack.length) throw bug(`{{${block[1]}}} without {{#if}}`);
      else if (block[1] === 'else') stack.at(-1)!.emit = !stack.at(-1)!.emit;
      else stack.pop();
      continue;
    }
    if (!emitting()) continue;

    const whole = /^(\s*)\{\{(\w+)\}\}\s*$/.exec(line);
    const listValue = whole ? values[whole[2]!] : undefined;
    if (whole && Array.isArray(listValue)) {
      if (dialect !== 'systemd') throw bug(`line lists are for unit files only ({{${whole[2]}}})`);
      for (const item of listValue) {
        guard(item, dialect, `a line for {{${whole[2]}}}`);
        out.push(whole[1] + item);
      }
      continue;
    }
    out.push(
      line.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
        const value = values[name];
        if (typeof value !== 'string') throw bug(`{{${name}}} has no single value`);
        guard(value, dialect, `{{${name}}}`);
        return value;
      }),
    );
  }
  if (stack.length) throw bug('{{#if}} without {{/if}}');
  const text = out.join('\n');
  if (text.includes('{{')) throw bug('an unknown template construct is left');
  return text;
}

/**
 * Every written file starts with this header; its checksum covers the rest of the
 * file, which is how a later run tells "ours, untouched" from "edited by hand".
 */
const HEADER_1 = '# Written by `hh-oauth install-units`: change its options and run it again rather than editing this file.';
const HEADER_2 = '# A file edited by hand is only replaced with --force, which keeps a .bak. checksum: sha256:';
const HEADER = new RegExp(`^${escapeRe(HEADER_1)}\\n${escapeRe(HEADER_2)}([0-9a-f]{16})\\n`);

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const checksum = (body: string) => createHash('sha256').update(body).digest('hex').slice(0, 16);

export function withHeader(body: string): string {
  return `${HEADER_1}\n${HEADER_2}${checksum(body)}\n${body}`;
}

/** pristine: written by us and untouched since; modified: ours but edited; foreign: not ours. */
export function inspectManaged(content: string): 'pristine' | 'modified' | 'foreign' {
  const m = HEADER.exec(content);
  if (!m) return 'foreign';
  return checksum(content.slice(m[0].length)) === m[1] ? 'pristine' : 'modified';
}
