import { log } from '../output';
import { childEnv } from '../system/host-tools';

/**
 * Runs the rotation hook. Loaded lazily (execa is slow to import). Never throws:
 * the new pair is already stored, and a failing hook must not make the refresh look
 * failed (systemd would retry a refresh that has succeeded).
 */
const KILL_GRACE_MS = 5000;

/** The hook's environment: every child's (no secrets), minus the hook setting itself, plus what it is told. */
export function hookEnv(base: NodeJS.ProcessEnv, told: Record<string, string>): Record<string, string> {
  return childEnv(base, told, ['HH_ON_REFRESH']);
}

/** `program`: the checked path of argv[0] (hook.ts), run in its place; without one, argv[0] as it is (it will not be found). */
export async function runHook(argv: string[], timeoutSeconds: number, told: Record<string, string>, base: NodeJS.ProcessEnv, program?: string): Promise<void> {
  const [file, ...args] = argv as [string, ...string[]];
  const started = Date.now();
  log.info(`on-refresh: running ${file} (${told.HH_EVENT})`);
  try {
    // Imported here, not at the top: the CommonJS hot bundle (dist/hot-full.cjs) would turn
    // a top-level import into require(), which cannot load execa (ESM only on Node 20).
    const { execa } = await import('execa');
    const outcome = await execa(program ?? file, args, {
      argv0: file,
      env: hookEnv(base, told),
      extendEnv: false,
      stdin: 'ignore',
      // Both to our stderr (the journal under systemd), never to our stdout, which is
      // the command's data. Not through pipes: a process the hook leaves in the
      // background would hold a pipe open and keep us waiting.
      stdout: 2,
      stderr: 2,
      timeout: timeoutSeconds * 1000,
      forceKillAfterDelay: KILL_GRACE_MS,
      reject: false,
    });
    const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
    if (outcome.timedOut) log.warn(`on-refresh: ${file} did not finish within ${timeoutSeconds} s and was stopped; the new token is stored all the same`);
    else if (outcome.failed) log.warn(`on-refresh: ${file} failed (${why(outcome)}) after ${took}; the new token is stored all the same`);
    else log.info(`on-refresh: ${file} finished in ${took}`);
  } catch (err) {
    log.warn(`on-refresh: could not run ${file}: ${(err as Error).message}; the new token is stored all the same`);
  }
}

function why(outcome: { exitCode?: number; signal?: string; code?: string; originalMessage?: string }): string {
  if (outcome.code === 'ENOENT') return 'command not found';
  if (outcome.code === 'EACCES') return 'permission denied';
  if (outcome.signal) return `killed by ${outcome.signal}`;
  if (outcome.exitCode !== undefined) return `exit code ${outcome.exitCode}`;
  return outcome.originalMessage ?? 'unknown error';
}
