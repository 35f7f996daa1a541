// Preload (`node --import`) for tests: records every module a CLI run loads, so a test
// can prove what the hot path does not touch. Writes to $HH_TEST_LOAD_LOG: one line per
// resolved ES module URL, then Node's own list of internal modules at exit.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';

const log = process.env.HH_TEST_LOAD_LOG;
register(new URL('./record-loads-hooks.mjs', import.meta.url), { data: { log } });
process.on('exit', () => appendFileSync(log, process.moduleLoadList.map((m) => `internal: ${m}\n`).join('')));
