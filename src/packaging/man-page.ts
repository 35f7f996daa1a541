import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS, PROGRAM } from '../cli/commands';
import { GLOBAL_OPTIONS, VERSION_FLAGS } from '../cli/global-options';
import type { CommandSpec, OptionSpec } from '../cli/spec';
import { DEFAULT_TOKEN_FILE } from '../config/config';
import { SYSTEM_ENV_FILE } from '../config/env-file';
import { EXPIRY_TIMER, NGINX_FILE, PROFILE_SERVICE, REFRESH_TIMER, SERVICE } from '../system/unit-names';
import { VERSION } from '../version';

/**
 * hh-oauth(1), generated at build time (scripts/package.mjs) from the command table and
 * from the docs' tables: ENVIRONMENT from docs/configuration.md, EXIT STATUS from
 * docs/contract.md, so that nothing is written twice. The output is plain man(7) that
 * `mandoc -T lint` and `groff -ww` accept (test/e2e/man-page.test.ts).
 */

/** Text for roff: backslashes escaped, no line starting with a control character, `-` as \- in words that are options. */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/(^|[\s([|=,])(-{1,2})(?=[A-Za-z])/g, (_, pre: string, dashes: string) => pre + dashes.replace(/-/g, '\\-'))
    .replace(/[^\x00-\x7f]/gu, (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`)
    .replace(/^([.'])/gm, '\\&$1');
}

/** Running text: roff(), wrapped at spaces to lines of at most 78 bytes (roff joins them again). */
function para(text: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of roff(text).split(/ +/)) {
    if (line && line.length + 1 + word.length > 78) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.map((l) => l.replace(/^([.'])/, '\\&$1')).join('\n');
}

/** A markdown table cell as plain text: code marks, links and escaped bars removed. */
export function plain(cell: string): string {
  return cell
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/\\\|/g, '|')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .trim();
}

export function tableRows(markdown: string, firstCell: RegExp): string[][] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('| '))
    .map((line) => line.slice(2, -2).split(/(?<!\\)\|/).map((c) => c.trim()))
    .filter((cells) => firstCell.test(cells[0]!));
}

const tp = (tag: string, body: string) => `.TP\n${tag}\n${para(body)}`;

function option(o: OptionSpec): string {
  const extra = [o.choices && `one of: ${o.choices.join(', ')}`, o.default !== undefined && `default: ${o.default}`, o.repeatable && 'repeatable'].filter(Boolean).join('; ');
  const value = o.flags.includes('<') ? o.flags.slice(o.flags.indexOf('<')) : undefined;
  const tag = value ? `.BI "${roff(o.flags.slice(0, o.flags.indexOf('<')).trim())} " "${roff(value)}"` : `.B ${roff(o.flags)}`;
  return tp(tag, extra ? `${o.description} (${extra})` : o.description);
}

function examples(lines: readonly string[], heading = true): string {
  return [...(heading ? ['.PP', 'Examples:'] : []), '.RS', '.nf', ...lines.map((l) => roff(`$ ${l}`)), '.fi', '.RE'].join('\n');
}

function command(spec: CommandSpec, prefix = ''): string[] {
  const name = `${prefix}${spec.name}`;
  const args = (spec.arguments ?? []).map((a) => a.name).join(' ');
  const out = [`.SS "${roff(`hh-oauth ${name}${spec.options?.length ? ' [options]' : ''}${args ? ` ${args}` : ''}`)}"`, para(spec.description)];
  for (const a of spec.arguments ?? []) out.push(tp(`.I ${roff(a.name)}`, a.description));
  for (const o of spec.options ?? []) out.push(option(o));
  if (spec.examples) out.push(examples(spec.examples));
  if (spec.subcommands) for (const sub of spec.subcommands) out.push(...command(sub, `${name} `));
  return out;
}

export function manPage(root: string, date: string): string {
  const configuration = readFileSync(join(root, 'docs', 'configuration.md'), 'utf8');
  const contract = readFileSync(join(root, 'docs', 'contract.md'), 'utf8');
  const settings = tableRows(configuration, /^`[A-Z_]+`$/);
  const exitCodes = tableRows(contract, /^[1-7]$/);
  if (settings.length < 15 || exitCodes.length !== 7) throw new Error(`man page: the docs' tables moved (${settings.length} settings, ${exitCodes.length} exit codes)`);
  const seen = new Set<string>();
  const environment = settings.filter((row) => !seen.has(row[0]!) && seen.add(row[0]!)).map((row) =>
    row.length >= 4
      ? tp(`.B ${plain(row[0]!)}`, `${plain(row[2]!)} (config key ${plain(row[1]!)}; default: ${plain(row[3]!)})`)
      : tp(`.B ${plain(row[0]!)}`, `${plain(row[2]!)} (set by ${plain(row[1]!)})`),
  );
  const files: Array<[string, string]> = [
    [DEFAULT_TOKEN_FILE, 'the token file (0600; the default profile), $STATE_DIRECTORY/token.json under systemd'],
    ['/var/lib/hh-token/profiles/NAME.json', 'the token file of profile NAME'],
    [`${DEFAULT_TOKEN_FILE}.lock`, 'the lock beside each token file'],
    [SYSTEM_ENV_FILE, 'the system settings file (dotenv, root-only), read by root\'s commands and by the service'],
    ['~/.config/hh-oauth/config.json', 'saved settings (config set), under $HH_CONFIG_DIR when set'],
    [`/etc/systemd/system/${SERVICE}`, `the service install-units writes, with ${REFRESH_TIMER}, ${EXPIRY_TIMER} and the per-profile ${PROFILE_SERVICE}`],
    [`/etc/nginx/sites-available/${NGINX_FILE}`, 'the nginx callback proxy install-units writes'],
    ['/usr/share/hh-oauth/', 'the unit and nginx templates, for reading (the binary carries its own copy)'],
  ];
  return [
    `.TH HH-OAUTH 1 ${date} "hh-oauth ${VERSION}" "User Commands"`,
    '.SH NAME',
    `hh-oauth \\- ${roff(PROGRAM.description.replace(/^G/, 'g').replace(/\.$/, ''))}`,
    '.SH SYNOPSIS',
    '.B hh-oauth',
    '[\\fIglobal options\\fR] \\fIcommand\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]',
    '.SH DESCRIPTION',
    para(`${PROGRAM.description} The commands that timers and scripts run (refresh, token) answer in about the time Node takes to start.`),
    'With \\fB\\-\\-json\\fR every command prints one JSON document on stdout;',
    'messages go to stderr.',
    '.SH COMMANDS',
    ...COMMANDS.flatMap((c) => command(c)),
    '.SH GLOBAL OPTIONS',
    'Given before or after the command.',
    ...GLOBAL_OPTIONS.map(option),
    tp(`.B ${roff(VERSION_FLAGS)}`, 'print the version'),
    tp('.B \\-h, \\-\\-help', 'print the help of hh-oauth or of a command'),
    '.SH ENVIRONMENT',
    'Settings come from flags, then the environment, then \\fB\\-\\-env\\-file\\fR,',
    'then the system settings file, then saved settings.',
    ...environment,
    '.SH FILES',
    ...files.map(([path, what]) => tp(`.I ${roff(path)}`, what)),
    '.SH EXIT STATUS',
    tp('.B 0', 'success'),
    ...exitCodes.map((row) => tp(`.B ${row[0]}`, `${plain(row[1]!)}; ${plain(row[2]!)}`)),
    '.SH EXAMPLES',
    examples(PROGRAM.examples, false),
    '.SH SEE ALSO',
    '.BR systemctl (1),',
    '.BR systemd.timer (5),',
    '.BR nginx (8)',
    '',
  ].join('\n');
}
