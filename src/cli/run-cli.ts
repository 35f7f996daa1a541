import { CommanderError } from 'commander';
import { HhOauthError, toHhOauthError, usageError } from '../errors';
import { fromCommander } from './commander-error';
import { prepareColours, reportError, setJsonMode } from '../output';
import { buildProgram } from './program';
import { closeOpenStores } from '../store/closing';

/**
 * The commander program's run, for every argv the hot path does not answer: help, usage
 * errors and every command that is not hot. Every error, commander's included, is
 * reported once here with its exit code. dist/cli.js (entry.ts) and the standalone
 * binary's embedded cli.cjs both start here.
 */
export async function runCli(argv: string[]): Promise<void> {
  // Decided before parsing, so that usage errors are reported in the requested format too.
  setJsonMode(argv.includes('--json'));
  const program = buildProgram();
  try {
    await prepareColours(argv);
    if (argv.length <= 2) {
      program.outputHelp({ error: true });
      throw usageError('no command given');
    }
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return;
      return fail(fromCommander(err));
    }
    fail(toHhOauthError(err));
  } finally {
    await closeOpenStores();
  }
}

function fail(err: HhOauthError): void {
  reportError(err);
  process.exitCode = err.exitCode;
}
