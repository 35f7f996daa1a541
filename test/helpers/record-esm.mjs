// Preload (`node --import`) for tests: appends `esm: URL` to $HH_TEST_LOAD_LOG for every
// ES module a run resolves (the commander path, dist/cli.js and its chunks). Its hooks
// run on a loader thread, which itself loads much of Node: use it alone to list files.
import { register } from 'node:module';

register(new URL('./record-esm-hooks.mjs', import.meta.url), { data: { log: process.env.HH_TEST_LOAD_LOG } });
