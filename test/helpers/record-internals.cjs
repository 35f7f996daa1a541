// Preload (`node -r`) for tests: appends Node's list of the internal modules a run loaded
// (`internal: NativeModule stream`, …) to $HH_TEST_LOAD_LOG at exit. It loads nothing itself.
const { appendFileSync } = require('node:fs');

process.on('exit', () => appendFileSync(process.env.HH_TEST_LOAD_LOG, process.moduleLoadList.map((m) => `internal: ${m}\n`).join('')));
