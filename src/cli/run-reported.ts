import { toHhOauthError } from '../errors';
import { prepareColours, reportError, setJsonMode } from '../output';
import { closeOpenStores } from '../store/closing';

/**
 * Runs a command as the entry points of the hot path do (src/main.ts, src/cli/hot/full.ts):
 * JSON mode and colours first, then any error reported once, with its exit code.
 * (src/cli/entry.ts does the same around commander.)
 */
export async function runReported(json: boolean, command: () => Promise<void>): Promise<void> {
  setJsonMode(json);
  try {
    await prepareColours();
    await command();
  } catch (err) {
    const error = toHhOauthError(err);
    reportError(error);
    process.exitCode = error.exitCode;
  } finally {
    await closeOpenStores();
  }
}
