import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command, Option } from 'commander';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { SETTINGS } from '../../../src/config/config';

/**
 * The documentation against the CLI itself, so that the two cannot drift apart again:
 * every HH_* name the docs mention is a setting or a variable the CLI reads, every
 * `hh-oauth …` line they show names commands and options the commander program has,
 * every link between the docs lands on a file and a heading, and the settings table
 * lists exactly what `config list` prints.
 */
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

// program.ts runs the CLI when it is imported (it is dist/cli.js's entry): give it an argv
// that only prints the version, and swallow that output, so that importing it here only
// yields buildProgram().
vi.mock('../../../src/output', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../src/output')>()),
  write: () => undefined,
}));
let program: Command;
beforeAll(async () => {
  const argv = process.argv;
  process.argv = [argv[0]!, 'hh-oauth', '--version'];
  try {
    program = (await import('../../../src/cli/program')).buildProgram();
  } finally {
    process.argv = argv;
    process.exitCode = undefined;
  }
});

// ---- the documents -------------------------------------------------------------------

function docFiles(): string[] {
  const out = [join(ROOT, 'README.md')];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.md')) out.push(path);
    }
  };
  walk(join(ROOT, 'docs'));
  return out;
}

interface Doc {
  file: string;
  text: string;
}

const docs = (): Doc[] => docFiles().map((file) => ({ file: relative(ROOT, file), text: readFileSync(file, 'utf8') }));

interface Markdown {
  /** Lines inside fenced code blocks, with their line numbers. */
  code: Array<{ line: number; text: string }>;
  /** Inline code spans outside fences. */
  spans: Array<{ line: number; text: string }>;
  /** Everything outside fences, for links. */
  prose: Array<{ line: number; text: string }>;
  headings: string[];
}

function parseMarkdown(text: string): Markdown {
  const md: Markdown = { code: [], spans: [], prose: [], headings: [] };
  let fence: string | undefined;
  let paragraph: Array<{ line: number; text: string }> = [];
  const flush = () => {
    // Inline code may wrap across the lines of one paragraph, never across a blank line.
    const joined = paragraph.map((p) => p.text).join('\n');
    const lineAt = (offset: number) => paragraph[joined.slice(0, offset).split('\n').length - 1]?.line ?? 0;
    for (const m of joined.matchAll(/(`+)(?!`)([\s\S]*?[^`])\1(?!`)/g)) {
      md.spans.push({ line: lineAt(m.index), text: m[2]!.replace(/\s+/g, ' ').trim() });
    }
    paragraph = [];
  };
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const marker = /^\s*(`{3,}|~{3,})/.exec(raw)?.[1];
    if (fence) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      else md.code.push({ line, text: raw });
      return;
    }
    if (marker) {
      flush();
      fence = marker;
      return;
    }
    md.prose.push({ line, text: raw });
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(raw);
    if (heading) md.headings.push(heading[1]!);
    if (raw.trim() === '' || heading) flush();
    else paragraph.push({ line, text: raw });
  });
  flush();
  return md;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, each space a hyphen; repeats get -1, -2, … */
function anchors(headings: string[]): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const heading of headings) {
    const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/`/g, '');
    const slug = text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\s_-]/gu, '').replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

// ---- hh-oauth command lines ------------------------------------------------------------

/**
 * The words of each `hh-oauth …` invocation in a line: up to whatever a shell would end
 * it with (| ; & > < ) a backtick, a comment) or an ellipsis. `hh-oauth` directly after
 * another tool's option (`journalctl -t hh-oauth`, `sudo -u hh-oauth`) is a name, not a
 * command; so is `hh-oauth` followed by anything but a space (units, paths, `hh-oauth:group`).
 */
export function invocationsIn(line: string): string[][] {
  const found: string[][] = [];
  for (const m of line.matchAll(/(^|[^\w.@:/-]|\/bin\/|(?<![\w./-])bin\/)hh-oauth(?= )/g)) {
    const before = line.slice(0, m.index + m[1]!.length).trimEnd().split(/\s+/).at(-1) ?? '';
    if (/^--?[A-Za-z][\w-]*$/.test(before) && m[1] !== '/bin/') continue;
    const words = shellWords(line.slice(m.index + m[0].length));
    // A diagram's arrow (`bin/hh-oauth ─> …`) is not a command line.
    if (words.length > 0 && words[0] !== 'hh-oauth' && /^[-a-z]/.test(words[0]!)) found.push(words);
  }
  return found;
}

function shellWords(rest: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  const end = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (/\s/.test(c)) end();
    else if (c === "'" || c === '"') {
      const close = rest.indexOf(c, i + 1);
      if (close < 0) break;
      word = (word ?? '') + rest.slice(i + 1, close);
      i = close;
    } else if ('|;&<>)`'.includes(c) || (c === '#' && word === undefined)) break;
    else if (c === ',' || (c === ':' && /\s|$/.test(rest[i + 1] ?? ''))) {
      // "…, hh-oauth profiles" and "refresh --all: 3 refreshed" end a command in prose.
      end();
      break;
    } else if (c !== '[' && c !== ']') word = (word ?? '') + c;
  }
  end();
  return words;
}

function findOption(chain: Command[], name: string): Option | undefined {
  for (const command of chain) {
    const option = command.options.find((o) => o.long === name || o.short === name);
    if (option) return option;
  }
  return undefined;
}

/** What is wrong with one invocation, checked the way commander would parse it. */
export function problemsOf(words: string[], root: Command): string[] {
  const problems: string[] = [];
  const chain: Command[] = [root];
  let commandDone = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const here = chain[0]!;
    const name = () => chain.map((c) => c.name()).reverse().join(' ');
    if (word === '--') break;
    if (word.startsWith('-') && word !== '-') {
      const flag = word.split('=')[0]!;
      if (flag === '-h' || flag === '--help') continue;
      // Every command's options and, as commander allows by default, its parents' (the globals).
      const option = findOption(chain, flag);
      if (!option) {
        problems.push(`${name()}: no option ${flag}`);
        continue;
      }
      if (!word.includes('=') && (option.required || (option.optional && !(words[i + 1] ?? '-').startsWith('-')))) i++;
      continue;
    }
    if (word === '…' || word === '...') break;
    if (!commandDone && here.commands.length > 0) {
      if (here === root && word === 'help') break;
      const sub = here.commands.find((c) => c.name() === word || c.aliases().includes(word));
      if (!sub) {
        problems.push(`${name()}: no command ${word}`);
        break;
      }
      chain.unshift(sub);
      continue;
    }
    // A positional argument (or an option's placeholder such as NAME): commander decides.
    commandDone = true;
  }
  return problems;
}

interface Invocation {
  where: string;
  words: string[];
}

function documentedInvocations(): Invocation[] {
  const out: Invocation[] = [];
  const commandNames = new Set(program.commands.map((c) => c.name()));
  for (const doc of docs()) {
    const md = parseMarkdown(withoutPlanned(doc.text));
    for (const { line, text } of md.code) {
      for (const words of invocationsIn(text.replace(/^\s*\$ /, ''))) out.push({ where: `${doc.file}:${line}`, words });
    }
    for (const { line, text } of md.spans) {
      // `hh-oauth doctor --skip-systemd`, and the short form prose uses: `refresh --all`.
      const short = commandNames.has(text.split(' ')[0]!) && / -/.test(text);
      const line_ = text.startsWith('hh-oauth ') ? text : short ? `hh-oauth ${text}` : undefined;
      if (!line_) continue;
      for (const words of invocationsIn(line_)) out.push({ where: `${doc.file}:${line}`, words });
    }
  }
  return out;
}

// ---- HH_* names ------------------------------------------------------------------------

/**
 * Variables that are not settings but that the CLI reads from its environment, or hands
 * to the rotation hook. Each must still occur in src/ (checked below), so this list cannot
 * outlive the code.
 */
const ENVIRONMENT_ONLY = ['HH_CONFIG_DIR', 'HH_TOKEN_GROUP', 'HH_DEBUG', 'HH_EVENT', 'HH_EXPIRES_AT', 'HH_SYSTEM_ENV_FILE'];

/**
 * Names of the contract's additions that are agreed but not built yet. They may appear only
 * between `<!-- planned -->` and `<!-- /planned -->`, and this test fails as soon as the CLI
 * has one: then the mark comes off the contract and the name off this list.
 */
const PLANNED: string[] = [];

const PLANNED_BLOCK = /<!-- planned -->[\s\S]*?<!-- \/planned -->/g;
const withoutPlanned = (text: string) => text.replace(PLANNED_BLOCK, (block) => block.replace(/[^\n]/g, ' '));

const known = (): Set<string> => new Set([...Object.keys(SETTINGS), ...ENVIRONMENT_ONLY]);

/** The HH_* names in a text, with their line numbers; `HH-User-Agent` (a header) is not one. */
export function settingNamesIn(text: string): Array<{ name: string; line: number }> {
  const out: Array<{ name: string; line: number }> = [];
  text.split('\n').forEach((line, index) => {
    for (const m of line.matchAll(/(?<![A-Za-z0-9_])HH_[A-Z0-9_]*[A-Z0-9]/g)) out.push({ name: m[0], line: index + 1 });
  });
  return out;
}

function sourceText(): string {
  let all = '';
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) all += readFileSync(path, 'utf8');
    }
  };
  walk(join(ROOT, 'src'));
  return all;
}

// ---- links -----------------------------------------------------------------------------

function brokenLinks(): string[] {
  const broken: string[] = [];
  const headingsOf = new Map<string, Set<string>>();
  const anchorsOf = (path: string) => {
    if (!headingsOf.has(path)) headingsOf.set(path, anchors(parseMarkdown(readFileSync(path, 'utf8')).headings));
    return headingsOf.get(path)!;
  };
  for (const doc of docs()) {
    const here = join(ROOT, doc.file);
    for (const { line, text } of parseMarkdown(doc.text).prose) {
      // Inline code is not a link, even when it looks like one.
      const visible = text.replace(/`[^`]*`/g, '');
      for (const m of visible.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/i.test(target)) continue;
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const file = path === '' ? here : resolve(dirname(here), path);
        if (!existsSync(file)) {
          broken.push(`${doc.file}:${line}: ${target}: no such file`);
          continue;
        }
        if (anchor !== undefined && file.endsWith('.md') && !anchorsOf(file).has(decodeURIComponent(anchor))) {
          broken.push(`${doc.file}:${line}: ${target}: no such heading in ${relative(ROOT, file)}`);
        }
      }
    }
  }
  return broken;
}

// ---- the tests -------------------------------------------------------------------------

describe('the checker itself', () => {
  it('reads hh-oauth invocations out of shell lines, and leaves names alone', () => {
    expect(invocationsIn('curl -sH "$(hh-oauth token --header)" https://api.hh.ru/me')).toEqual([['token', '--header']]);
    expect(invocationsIn("hh-oauth --on-refresh 'systemctl try-restart my-bot.service' refresh")).toEqual([
      ['--on-refresh', 'systemctl try-restart my-bot.service', 'refresh'],
    ]);
    expect(invocationsIn('sudo -u hh-oauth hh-oauth doctor')).toEqual([['doctor']]);
    expect(invocationsIn('ExecStart=/usr/bin/node /usr/lib/node_modules/hh-oauth/bin/hh-oauth refresh')).toEqual([['refresh']]);
    expect(invocationsIn('node bin/hh-oauth sandbox --port 8300 &')).toEqual([['sandbox', '--port', '8300']]);
    expect(invocationsIn('bin/hh-oauth ──require──> dist/main.cjs')).toEqual([]);
    expect(invocationsIn('details: hh-oauth refresh --all --json, hh-oauth profiles')).toEqual([['refresh', '--all', '--json'], ['profiles']]);
    expect(invocationsIn('hh-oauth refresh --all [--concurrency N]')).toEqual([['refresh', '--all', '--concurrency', 'N']]);
    expect(invocationsIn('refresh --all: 997 refreshed')).toEqual([]);
    expect(invocationsIn('hh-oauth refresh --all: 997 refreshed, 1 not due')).toEqual([['refresh', '--all']]);
    expect(invocationsIn('journalctl -t hh-oauth -n 20')).toEqual([]);
    expect(invocationsIn('chown -R hh-oauth:hhtoken /var/lib/hh-token')).toEqual([]);
    expect(invocationsIn('git clone … hh-oauth && cd hh-oauth')).toEqual([]);
    expect(invocationsIn('systemctl start hh-oauth-refresh.service')).toEqual([]);
  });

  it('finds a missing option, command or subcommand, and accepts what exists', () => {
    expect(problemsOf(['refresh', '--all', '--concurrency', '8', '--json'], program)).toEqual([]);
    expect(problemsOf(['--profile', 'acme', 'profiles', 'set', 'manager-account', '5000002'], program)).toEqual([]);
    expect(problemsOf(['--env-file', '…', 'login', '--check-only'], program)).toEqual([]);
    expect(problemsOf(['login', '--no-open', '--timeout=30m'], program)).toEqual([]);
    expect(problemsOf(['help', 'anything'], program)).toEqual([]);
    expect(problemsOf(['refresh', '--bogus'], program)).toEqual(['hh-oauth refresh: no option --bogus']);
    expect(problemsOf(['whoami', '--manager-account'], program)).toEqual([]);
    expect(problemsOf(['whoami', '--manager-acounts'], program)).toEqual(['hh-oauth whoami: no option --manager-acounts']);
    expect(problemsOf(['refreshh'], program)).toEqual(['hh-oauth: no command refreshh']);
    expect(problemsOf(['config', 'show'], program)).toEqual(['hh-oauth config: no command show']);
    // An option of another command is no option of this one.
    expect(problemsOf(['status', '--force'], program)).toEqual(['hh-oauth status: no option --force']);
  });

  it('fails a document that names an option the CLI lacks', () => {
    const md = parseMarkdown('Run it:\n\n```sh\nhh-oauth doctor --skip-timers\n```\n\nor `hh-oauth token --raw`.\n');
    const lines = [...md.code.map((c) => c.text), ...md.spans.map((s) => s.text)];
    expect(lines.flatMap((l) => invocationsIn(l)).flatMap((w) => problemsOf(w, program))).toEqual([
      'hh-oauth doctor: no option --skip-timers',
      'hh-oauth token: no option --raw',
    ]);
  });

  it('finds HH_* names but not the HH-User-Agent header, and makes GitHub anchors', () => {
    expect(settingNamesIn('HH_PROFILE=acme hh-oauth refresh; $HH_CONFIG_DIR/x, HH-User-Agent: a').map((n) => n.name)).toEqual(['HH_PROFILE', 'HH_CONFIG_DIR']);
    expect([...anchors(['Rotation hook: `--on-refresh CMD`, `HH_ON_REFRESH`', 'check:dist', '1. Приложение на dev.hh.ru', 'Commands', 'Commands'])]).toEqual([
      'rotation-hook---on-refresh-cmd-hh_on_refresh',
      'checkdist',
      '1-приложение-на-devhhru',
      'commands',
      'commands-1',
    ]);
  });
});

describe('the docs match the CLI', () => {
  it('every hh-oauth command line in the docs names commands and options that exist', () => {
    const invocations = documentedInvocations();
    // Otherwise the check below would pass vacuously.
    expect(invocations.length).toBeGreaterThan(150);
    const problems = invocations.flatMap((inv) => problemsOf(inv.words, program).map((p) => `${inv.where}: ${p}  (hh-oauth ${inv.words.join(' ')})`));
    expect(problems).toEqual([]);
  });

  it('every HH_* name in the docs is a setting or a variable the CLI reads', () => {
    const names = known();
    const unknown: string[] = [];
    let seen = 0;
    for (const doc of docs()) {
      for (const { name, line } of settingNamesIn(withoutPlanned(doc.text))) {
        seen++;
        if (!names.has(name)) unknown.push(`${doc.file}:${line}: ${name}`);
      }
    }
    expect(seen).toBeGreaterThan(100);
    expect(unknown).toEqual([]);
  });

  it('the environment-only names still occur in src/, and the planned ones are not built yet', () => {
    const source = sourceText();
    expect(ENVIRONMENT_ONLY.filter((name) => !source.includes(name))).toEqual([]);
    expect(PLANNED.filter((name) => known().has(name) || source.includes(name))).toEqual([]);
    // They are named where they are planned, so the list is not stale either.
    const contract = readFileSync(join(ROOT, 'docs', 'contract.md'), 'utf8');
    const planned = (contract.match(PLANNED_BLOCK) ?? []).join('\n');
    expect(PLANNED.filter((name) => !planned.includes(name))).toEqual([]);
  });

  it('the settings table of docs/configuration.md lists exactly the keys of `config list`, in its order', () => {
    const text = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
    const section = text.slice(text.indexOf('\n## Settings'), text.indexOf('\n## ', text.indexOf('\n## Settings') + 1));
    const rows = [...section.matchAll(/^\| `(HH_[A-Z_]+)` \| `([a-z-]+)` \|/gm)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual(Object.entries(SETTINGS).map(([name, spec]) => [name, spec.key]));
  });

  it('every relative link between the docs lands on a file and, when it names one, a heading', () => {
    expect(brokenLinks()).toEqual([]);
  });

  it('every file of the repository that the docs name in code (`src/…`, `test/…`, …) exists', () => {
    // Written by a run, never committed (test/artifacts/ is the suites' screenshots and transcripts, ignored by git).
    const generated = new Set(['bench/results.json']);
    const generatedUnder = (path: string) => path.startsWith('test/artifacts/');
    const missing: string[] = [];
    let seen = 0;
    for (const doc of docs()) {
      for (const { line, text } of parseMarkdown(doc.text).spans) {
        const m = /^((?:src|test|scripts|bench|bin|systemd|nginx|docs)\/[\w./@-]*)$/.exec(text);
        if (!m || generated.has(m[1]!) || generatedUnder(m[1]!)) continue;
        seen++;
        if (!existsSync(join(ROOT, m[1]!))) missing.push(`${doc.file}:${line}: ${m[1]}`);
      }
    }
    expect(seen).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });
});
