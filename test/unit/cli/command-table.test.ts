import './stand-ins';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseHot, parseInProcess, type HotOutcome, type Outcome } from './parse-recorder';

/**
 * The command table against the CLI it replaced: test/fixtures/cli/ holds, recorded from
 * the commit before the table (scripts/record-cli-fixtures.mjs), the help of every command
 * and how 521 argvs parsed. The program built from the table must print the same help and
 * hand every command module the same arguments and options (or refuse with the same
 * usage error), and the hot path must take the same argvs with the same options.
 */
interface Recorded {
  argv: string[];
  hot: HotOutcome;
  parse: Outcome;
}
interface HelpPage {
  argv: string[];
  code: number;
  stdout: string;
  stderr: string;
}

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../../fixtures/cli/${name}`, import.meta.url), 'utf8')) as T;
const corpus = fixture<Recorded[]>('corpus.json');
const help = fixture<HelpPage[]>('help.json');

describe('the program built from the command table', () => {
  it('is held to a corpus that covers every kind of outcome', () => {
    // Otherwise the tests below could pass on an empty or one-sided fixture.
    expect(corpus.length).toBeGreaterThanOrEqual(500);
    for (const kind of ['action', 'error', 'exit']) expect(corpus.filter((r) => r.parse.kind === kind).length, kind).toBeGreaterThan(50);
    expect(corpus.filter((r) => r.hot !== null).length).toBeGreaterThan(30);
    expect(help.length).toBe(28);
  });

  it.each(help.map((page) => [page.argv.join(' '), page] as const))('prints the recorded help for `hh-oauth %s`', async (_name, page) => {
    expect(page.code).toBe(0);
    const outcome = await parseInProcess(page.argv);
    expect(outcome).toStrictEqual({ kind: 'exit', code: 0, stdout: page.stdout, stderr: page.stderr });
  });

  it.each(corpus.map((r) => [JSON.stringify(r.argv), r] as const))('parses %s as recorded', async (_name, recorded) => {
    expect(await parseInProcess(recorded.argv)).toStrictEqual(recorded.parse);
    expect(parseHot(recorded.argv)).toStrictEqual(recorded.hot);
  });
});
