import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Paths the tests need: the checkout, the built CLI, and the helper files that are not modules (preloads, a seccomp runner). */

/** The repository root, with a trailing slash, so that `path.slice(REPO_ROOT.length)` is relative to it. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The built CLI's entry, which operators, systemd and scripts start. */
export const BIN = `${REPO_ROOT}bin/hh-oauth`;

/**
 * E2E_BINARY=build/hh-oauth (npm run package, docs/packaging.md): runCli starts the
 * standalone binary instead of node and bin/hh-oauth, so that an e2e suite proves every
 * command works the same from it. Unset: the npm build.
 */
export const TEST_BINARY: string | undefined = process.env.E2E_BINARY ? realpathSync(resolve(REPO_ROOT, process.env.E2E_BINARY)) : undefined;

/** What an installed unit's ExecStart= starts for this CLI: node and the real bin/hh-oauth, or the binary alone. */
export const UNIT_COMMAND: string = TEST_BINARY ?? `${process.execPath} ${realpathSync(BIN)}`;

/** scripts/check-dist.mjs, the hot-path guard `npm run check:dist` runs. */
export const CHECK_DIST_SCRIPT = `${REPO_ROOT}scripts/check-dist.mjs`;

const helperFile = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));

/** Instrumentation preloaded into the CLI (NODE_OPTIONS=--require / --import); each file says what it does. */
export const PRELOAD = {
  /** SIGKILLs the CLI as it renames a written temp file over the token file. */
  killAtRename: helperFile('kill-at-rename.cjs'),
  /** Wall-clock marks: hh.ru's answer, the first write, the rename (crash suite). */
  windowClock: helperFile('window-clock.cjs'),
  /** Every CommonJS file and Node internal module a run loaded. */
  recordLoads: helperFile('record-loads.cjs'),
  /** Every ES module a run resolved. */
  recordEsm: helperFile('record-esm.mjs'),
} as const;

/** Runs a command under a system call filter built the way systemd builds the unit's (python3-seccomp). */
export const SECCOMP_EXEC = helperFile('seccomp-exec.py');
