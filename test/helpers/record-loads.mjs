// Preload (`node --import`) for tests: records every ES module a CLI run resolves, so a
// test can prove which files the hot path reads. Appends `module: URL` lines to
// $HH_TEST_LOAD_LOG. The hooks run on a loader thread, which itself loads Node's streams:
// use record-internals.cjs, alone, to see which of Node's internal modules a run needs.
import { register } from 'node:module';

register(new URL('./record-loads-hooks.mjs', import.meta.url), { data: { log: process.env.HH_TEST_LOAD_LOG } });
