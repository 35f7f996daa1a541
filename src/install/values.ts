import { posix } from 'node:path';
import { splitCommand } from '../lifecycle/hook';

/**
 * Validation of every value that install-units puts into a systemd unit or an nginx
 * file. Pure functions with no I/O and no exceptions, so they can be fuzzed: each
 * returns the normalized value or the reason it was refused. A value that passes can
 * be inserted without escaping beyond what systemdValue()/systemdArg() add.
 */
export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const no = <T = never>(reason: string): Checked<T> => ({ ok: false, reason });

/** Control characters (newline, CR, NUL, escape…): never allowed anywhere. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

function describeChar(c: string): string {
  if (c === '\n') return 'a newline';
  if (c === '\r') return 'a carriage return';
  if (c === ' ') return 'a space';
  if (CONTROL.test(c)) return `a control character (U+${c.codePointAt(0)!.toString(16).padStart(4, '0')})`;
  return `"${c}"`;
}

function firstBad(value: string, allowed: RegExp): string | undefined {
  for (const c of value) if (!allowed.test(c)) return c;
  return undefined;
}

/** A DNS hostname (what nginx's server_name and an upstream host may be): letters, digits, hyphens, dots. */
export function checkHostname(value: string): Checked<string> {
  if (value === '') return no('is empty');
  if (value.length > 253) return no('is longer than 253 characters');
  const bad = firstBad(value, /[A-Za-z0-9.-]/);
  if (bad !== undefined) return no(`must be a hostname (letters, digits, "-" and "."); it contains ${describeChar(bad)}`);
  const labels = value.split('.');
  for (const label of labels) {
    if (label === '') return no('must be a hostname; it has an empty label ("..", or a leading or trailing ".")');
    if (label.length > 63) return no('must be a hostname; a label is longer than 63 characters');
    if (label.startsWith('-') || label.endsWith('-')) return no('must be a hostname; a label starts or ends with "-"');
  }
  if (/^[0-9]+$/.test(labels.at(-1)!) && !isIpv4(value)) return no('must be a hostname or an IPv4 address');
  return ok(value.toLowerCase());
}

function isIpv4(value: string): boolean {
  const parts = value.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

function isIpv6(value: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(value) || value.length > 45) return false;
  try {
    return new URL(`http://[${value}]/`).hostname !== '';
  } catch {
    return false;
  }
}

function checkPort(value: string): Checked<number> {
  if (!/^[1-9][0-9]{0,4}$/.test(value) || Number(value) > 65535) return no(`has an invalid port "${value}" (1-65535)`);
  return ok(Number(value));
}

/** host:port for proxy_pass: a hostname, an IPv4 address or a bracketed IPv6 address, and a port. */
export function checkHostPort(value: string): Checked<string> {
  const bad = firstBad(value, /[A-Za-z0-9.:[\]-]/);
  if (bad !== undefined) return no(`must be host:port; it contains ${describeChar(bad)}`);
  const v6 = /^\[([^\]]+)\]:([^:]+)$/.exec(value);
  if (v6) {
    if (!isIpv6(v6[1]!)) return no(`must be host:port; "[${v6[1]}]" is not an IPv6 address`);
    const port = checkPort(v6[2]!);
    return port.ok ? ok(`[${v6[1]!.toLowerCase()}]:${port.value}`) : no(`must be host:port; it ${port.reason}`);
  }
  const m = /^([^:[\]]+):([^:]*)$/.exec(value);
  if (!m) return no('must be host:port, e.g. 127.0.0.1:8400 (IPv6 in brackets: [::1]:8400)');
  const host = checkHostname(m[1]!);
  if (!host.ok) return no(`must be host:port; the host ${host.reason}`);
  const port = checkPort(m[2]!);
  return port.ok ? ok(`${host.value}:${port.value}`) : no(`must be host:port; it ${port.reason}`);
}

/** nginx `listen`: a port, or address:port (IPv6 in brackets). */
export function checkListen(value: string): Checked<string> {
  if (/^[0-9]+$/.test(value)) {
    const port = checkPort(value);
    return port.ok ? ok(String(port.value)) : no(`must be a port or address:port; it ${port.reason}`);
  }
  const hp = checkHostPort(value);
  if (!hp.ok) return no(hp.reason.replace('must be host:port', 'must be a port or address:port'));
  const host = hp.value.slice(0, hp.value.lastIndexOf(':'));
  if (!host.startsWith('[') && !isIpv4(host) && host !== 'localhost') return no('must be a port or address:port with an IP address');
  return ok(hp.value);
}

/**
 * An absolute, normalized path whose characters are safe in both unit files and nginx:
 * letters and digits (any script), and . _ + @ , = ~ % / - and inner spaces. Quotes,
 * backslashes, $, ;, {, }, #, : and control characters are refused outright rather
 * than escaped, because each directive unquotes differently.
 */
export function checkAbsolutePath(value: string): Checked<string> {
  if (value === '') return no('is empty');
  if (!value.startsWith('/')) return no(`must be an absolute path (starting with "/"); got "${value}"`);
  if (value.length > 4095) return no('is longer than 4095 characters');
  const bad = firstBad(value, /[\p{L}\p{N}._+@,=~%/ -]/u);
  if (bad !== undefined) return no(`must be a plain absolute path; it contains ${describeChar(bad)}`);
  if (value !== value.trim() || /\/ | \//.test(value)) return no('must not have spaces at the start or end of a path component');
  const normal = posix.normalize(value);
  if (normal !== value && normal !== value.replace(/\/+$/, '')) return no(`must be a normalized path (no "..", "." or "//"); use ${normal}`);
  return ok(value.length > 1 ? value.replace(/\/+$/, '') : value);
}

/** A path that goes into nginx: as checkAbsolutePath, and no spaces (nginx would split there). */
export function checkNginxPath(value: string): Checked<string> {
  const path = checkAbsolutePath(value);
  if (!path.ok) return path;
  if (path.value.includes(' ')) return no('must not contain spaces (it goes into the nginx config)');
  return path;
}

/** A user or group name that useradd/groupadd accept on Debian (and systemd's strict rules). */
export function checkAccountName(value: string): Checked<string> {
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(value)) {
    return no('must be a user/group name: lowercase letters, digits, "_" and "-", starting with a letter or "_", at most 32 characters');
  }
  return ok(value);
}

const WEEKDAY = '(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*';
const NUM = '(?:\\*|[0-9]{1,4})(?:\\.\\.[0-9]{1,4})?(?:/[0-9]{1,4})?';
const NUMS = `${NUM}(?:,${NUM})*`;
const CALENDAR = new RegExp(
  '^(?:' +
    'minutely|hourly|daily|weekly|monthly|yearly|annually|quarterly|semiannually' +
    `|(?:${WEEKDAY}(?:(?:,|\\.\\.)${WEEKDAY})* )?` +
    `(?:${NUMS}-${NUMS}(?:-${NUMS})? )?` +
    `${NUMS}:${NUMS}(?::${NUMS}(?:\\.[0-9]{1,6})?)?` +
    ')(?: (?:utc|[a-z]+(?:/[a-z_+-]+){1,2}))?$',
  'i',
);

/** Characters a calendar spec may contain at all: checked before systemd-analyze sees it. */
export function checkCalendarChars(value: string): Checked<string> {
  const trimmed = value.trim().replace(/ +/g, ' ');
  if (trimmed === '') return no('is empty');
  if (trimmed.length > 200) return no('is longer than 200 characters');
  const bad = firstBad(trimmed, /[A-Za-z0-9*:,./_+ -]/);
  if (bad !== undefined) return no(`is not a systemd calendar spec; it contains ${describeChar(bad)}`);
  return ok(trimmed);
}

/**
 * The strict fallback when systemd-analyze is not installed: the common forms only
 * (daily, "*-*-* 17:00:00", "Mon..Fri 09:30", "*:0/10", with an optional time zone).
 */
export function checkCalendarPattern(value: string): Checked<string> {
  const chars = checkCalendarChars(value);
  if (!chars.ok) return chars;
  if (!CALENDAR.test(chars.value)) {
    return no('is not a calendar spec this tool can check without systemd-analyze (e.g. "*-*-* 17:00:00", "Mon..Fri 09:30", "daily")');
  }
  return chars;
}

const SPAN_UNITS: Record<string, number> = { s: 1, sec: 1, m: 60, min: 60, h: 3600, hr: 3600 };

/** The expiry check interval: "off", or a systemd time span between 1 minute and 1 day, e.g. 10min. */
export function checkInterval(value: string): Checked<{ span: string; seconds: number } | 'off'> {
  if (value === 'off') return ok('off');
  const m = /^([1-9][0-9]{0,5})(s|sec|m|min|h|hr)?$/.exec(value);
  if (!m) return no('must be "off" or a time span such as 10min, 5m, 1h or 600 (seconds)');
  const seconds = Number(m[1]) * SPAN_UNITS[m[2] ?? 's']!;
  if (seconds < 60 || seconds > 86400) return no('must be between 1min and 24h');
  return ok({ span: `${m[1]}${m[2] ?? 's'}`, seconds });
}

/** `%` starts a specifier in every unit file setting this tool writes; `%%` is a literal percent. */
/**
 * A rotation hook for Environment="HH_ON_REFRESH=…": it must split into argv the way
 * the hook runner will, and must not need escaping inside the double quotes.
 */
export function checkHookCommand(value: string): Checked<string> {
  if (CONTROL.test(value)) return no('must be one line without control characters');
  if (/["\\]/.test(value)) return no("must not contain \" or \\ (they would need escaping inside the unit); put the command in a script");
  // The unit templates' own syntax: renderTemplate would take it for a leftover construct (exit 1).
  if (/\{\{|\}\}/.test(value)) return no('must not contain "{{" or "}}"; put the command in a script');
  const argv = splitCommand(value);
  if (typeof argv === 'string') return no(argv);
  if (argv.length === 0) return no('is empty');
  return ok(value);
}

export function systemdValue(value: string): string {
  return value.replace(/%/g, '%%');
}

/** One command-line argument in ExecStart=: specifiers escaped, quoted when it has a space. */
export function systemdArg(value: string): string {
  const escaped = systemdValue(value);
  return escaped.includes(' ') ? `"${escaped}"` : escaped;
}
