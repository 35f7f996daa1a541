import type { SANDBOX } from '../cli/commands';
import type { OptionsFor } from '../cli/spec';
import { loadConfig } from '../config/config';
import { usageError } from '../errors';
import { log, result } from '../output';
import { DEFAULT_CLIENT, startSandbox } from '../sandbox/index';

/** Typed from the command's declaration (SANDBOX in src/cli/commands.ts). */
export type SandboxCommandOptions = OptionsFor<typeof SANDBOX>;

function positiveInt(value: string, flag: string, allowZero = false): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || (!allowZero && n === 0)) throw usageError(`${flag} must be a whole number${allowZero ? '' : ' above 0'}`);
  return n;
}

function requestsPerSecond(value: string, flag: string): number {
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0) throw usageError(`${flag} must be a number of requests per second above 0, such as 10`);
  return Number(value);
}

export default async function sandbox(opts: SandboxCommandOptions): Promise<void> {
  loadConfig(opts); // validates --env-file like every other command
  const port = positiveInt(opts.port, '--port', true);
  if (port > 65535) throw usageError('--port must be at most 65535');
  const server = await startSandbox({
    host: opts.host,
    port,
    expiresIn: positiveInt(opts.expiresIn, '--expires-in'),
    codeTtl: positiveInt(opts.codeTtl, '--code-ttl'),
    decision: opts.deny ? 'deny' : 'approve',
    persona: opts.persona,
    rateLimit: opts.rateLimit === undefined ? undefined : requestsPerSecond(opts.rateLimit, '--rate-limit'),
    clients: [{ ...DEFAULT_CLIENT, redirectUri: opts.redirectUri }],
    log: (line) => log.info(line),
  });
  const env = { ...server.env, HH_CLIENT_ID: DEFAULT_CLIENT.clientId, HH_REDIRECT_URI: opts.redirectUri };
  result(
    { url: server.url, env },
    Object.entries(env).map(([k, v]) => `export ${k}=${v}`).join('\n'),
  );
  log.info(`hh.ru sandbox listening on ${server.url}; the client secret is the sandbox default (see README). Ctrl-C stops it.`);
  await new Promise<void>((resolve) => {
    const stop = () => void server.close().then(resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
