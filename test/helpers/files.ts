import { fileURLToPath } from 'node:url';

/** Paths the tests need: the checkout, the built CLI, and the helper files that are not modules (preloads, a seccomp runner). */

/** The repository root, with a trailing slash, so that `path.slice(REPO_ROOT.length)` is relative to it. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The built CLI's entry, which operators, systemd and scripts start. */
export const BIN = `${REPO_ROOT}bin/hh-oauth`;

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
