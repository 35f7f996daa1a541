import { runCli } from './run-cli';

/** The entry of dist/cli.js, which src/main.ts imports for every argv the hot path does not answer. */
await runCli(process.argv);
