import { loadConfig } from '../../config/config';
import { fetchEngine } from '../../hh/http';
import { hookRunner } from '../../lifecycle/hook';
import { hhClientModule } from '../../lifecycle/refresh';
import { fileStoreModule } from '../../store/store';
import { usageError } from '../../errors';
import { onStopSignal } from '../../token/signal-guard';
import { workerLog, type LogFormat } from '../../worker/events';
import { parseHealthListen, startHealthServer, type HealthServer } from '../../worker/health';
import { Worker } from '../../worker/loop';
import type { RefreshOptions } from './index';

const MAX_CONCURRENCY = 256;

/**
 * `refresh --watch`: the long-running refresher for a host without systemd (a container).
 * SIGTERM and SIGINT stop it between refreshes; one in flight is finished and stored
 * first, and then it exits 0.
 */
export default async function watch(opts: RefreshOptions): Promise<void> {
  if (opts.force) throw usageError('--watch refreshes each token when it expires; --force does not apply');
  if (opts.json) throw usageError('--watch prints no result document; for machine-readable lines use --log-format json');
  if (opts.all && opts.profile !== undefined) throw usageError('--all watches every profile; drop --profile (or drop --all)');
  if (!opts.all && opts.concurrency !== undefined) throw usageError('--concurrency only applies to --all');
  if (!opts.all && opts.rate !== undefined) throw usageError('--rate only applies to --all (HH_RATE_LIMIT paces every command)');
  const concurrency = parseConcurrency(opts.concurrency);
  const format: LogFormat = opts.logFormat === 'json' ? 'json' : 'human';
  const listen = opts.listen === undefined ? undefined : parseHealthListen(opts.listen);
  if (opts.rate === '') throw usageError('--rate needs a number of requests per second (0: unpaced)');
  const config = loadConfig(opts, { HH_RATE_LIMIT: opts.rate });
  config.rateLimit();
  if (!opts.all) config.profileName(); // a bad --profile fails now, not at the first wake

  await preloadRefreshPath();
  const log = workerLog(format);
  const worker = new Worker(config, { all: Boolean(opts.all), concurrency }, log);
  // The worker's own handler: it gets the signal at once, also while a pair is being stored
  // (token/signal-guard.ts), and the write protocol still finishes that pair before run() returns.
  const stopListening = onStopSignal((signal) => worker.stop(signal));
  let server: HealthServer | undefined;
  try {
    if (listen) server = await startHealthServer(worker, listen);
    log.started({ mode: opts.all ? 'all' : 'profile', ...(opts.all ? {} : { profile: config.profileName() }), ...(server ? { listen: server.address } : {}) });
    await worker.run();
  } finally {
    await server?.close();
    stopListening();
  }
}

/**
 * A package upgraded in place under a running worker replaces dist/'s hashed chunks, and a
 * module first imported after that would be gone (every refresh then fails). So the modules
 * a refresh loads on first use are loaded now, through the loaders that keep them for the
 * process (Node's resolver looks for the file again on every import(), loaded or not).
 */
async function preloadRefreshPath(): Promise<void> {
  await Promise.all([hhClientModule(), fetchEngine(), hookRunner(), fileStoreModule()]);
}

function parseConcurrency(value: string | undefined): number {
  if (value === undefined) return 4;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_CONCURRENCY) throw usageError(`--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}`);
  return n;
}
