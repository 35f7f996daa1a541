// Test instrumentation, preloaded into the CLI only by the crash suite's timing runs
// (NODE_OPTIONS=--require …): appends wall-clock marks to $HH_TEST_WINDOW_CLOCK when
// hh.ru's answer arrived (fetch resolved), the first byte of the new file was written,
// and the rename over the token file returned. No values, only times.
const fs = require('node:fs');
const out = process.env.HH_TEST_WINDOW_CLOCK;
const now = () => performance.timeOrigin + performance.now();
const mark = (name) => fs.appendFileSync(out, `${name} ${now()}\n`);
const { fetch } = globalThis;
globalThis.fetch = async (...args) => {
  const response = await fetch(...args);
  mark('answer');
  return response;
};
const { writeSync, renameSync } = fs;
let wrote = false;
fs.writeSync = function (fd, ...rest) {
  if (!wrote && typeof fd === 'number' && fd > 2) {
    wrote = true;
    mark('write');
  }
  return writeSync.call(this, fd, ...rest);
};
fs.renameSync = function (from, to) {
  const result = renameSync.call(this, from, to);
  if (String(to).endsWith('token.json')) mark('renamed');
  return result;
};
