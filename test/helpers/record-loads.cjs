// Preload (`node -r`) for tests: at exit, appends to $HH_TEST_LOAD_LOG every CommonJS file
// the run required (`cjs: PATH`) and Node's list of its own internal modules that it
// loaded (`internal: NativeModule stream`, …). It loads nothing itself.
const { appendFileSync } = require('node:fs');

process.on('exit', () => {
  const files = Object.keys(require.cache).filter((f) => f !== __filename).map((f) => `cjs: ${f}\n`);
  const internal = process.moduleLoadList.map((m) => `internal: ${m}\n`);
  appendFileSync(process.env.HH_TEST_LOAD_LOG, files.join('') + internal.join(''));
});
