import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bareEnv, runCli } from './cli';
import { connectTo } from './net';
import { sleep } from './time';
import { findTool, isRoot } from './tools';

/**
 * A real nginx for tests, on loopback, in a throwaway prefix (config, pid, logs,
 * temp dirs), in the foreground (`daemon off`), stopped by its pid afterwards.
 * The site config is included at http level, the way /etc/nginx/sites-enabled/* is.
 */
export interface RunningNginx {
  prefix: string;
  stop(): Promise<void>;
  errorLog(): string;
}

/**
 * Writes PREFIX/nginx.conf: a main config that keeps every path (pid, logs, temp) inside
 * the prefix and includes `include` (a file or a glob) at http level. Returns its path.
 */
export function writeMainConf(prefix: string, include: string): string {
  // As root, nginx would switch its workers to "nobody", who cannot enter the 0700 prefix.
  const user = isRoot ? 'user root root;\n' : '';
  const path = join(prefix, 'nginx.conf');
  writeFileSync(
    path,
    `${user}daemon off;
master_process on;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 64; }
http {
    access_log ${prefix}/access.log;
    client_body_temp_path ${prefix}/client_body;
    proxy_temp_path ${prefix}/proxy;
    fastcgi_temp_path ${prefix}/fastcgi;
    uwsgi_temp_path ${prefix}/uwsgi;
    scgi_temp_path ${prefix}/scgi;
    include ${include};
}
`,
  );
  return path;
}

/**
 * The nginx site `hh-oauth install-units` renders (nginx/hh-oauth.conf), rendered by the
 * built CLI under a throwaway --root with these options, its access log in logDir.
 */
export async function renderSite(args: string[], logDir: string): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'hh-oauth-render-'));
  try {
    const out = await runCli(['install-units', '--root', root, '--no-enable', '--nginx-log-dir', logDir, ...args], { env: bareEnv(root) });
    if (out.code !== 0) throw new Error(`install-units failed (${out.code}): ${out.stderr}`);
    return readFileSync(join(root, 'etc/nginx/sites-available/hh-oauth.conf'), 'utf8');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** A real nginx in front of a login listener, with the site install-units renders for that port and upstream. */
export async function startCallbackProxy(opts: { listenPort: number; upstream: string }): Promise<RunningNginx> {
  const logDir = mkdtempSync(join(tmpdir(), 'hh-oauth-nginx-logs-'));
  const site = await renderSite(['--server-name', 'bot.example.com', '--listen', `127.0.0.1:${opts.listenPort}`, '--callback-upstream', opts.upstream], logDir);
  const nginx = await startNginx(site, [opts.listenPort]);
  return {
    ...nginx,
    stop: async () => {
      await nginx.stop();
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}

/** Starts nginx with this site config and resolves once every one of `ports` accepts connections. */
export async function startNginx(siteConf: string, ports: number[]): Promise<RunningNginx> {
  const binary = findTool('nginx');
  if (!binary) throw new Error('nginx not found (apt-get install nginx-light)');
  const prefix = mkdtempSync(join(tmpdir(), 'hh-oauth-nginx-'));
  writeFileSync(join(prefix, 'site.conf'), siteConf);
  const conf = writeMainConf(prefix, join(prefix, 'site.conf'));
  const child = spawn(binary, ['-p', prefix, '-c', conf, '-e', join(prefix, 'error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(prefix, { recursive: true, force: true });
  };
  const errorLog = () => {
    try {
      return readFileSync(join(prefix, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };

  try {
    await Promise.all(ports.map((port) => waitForPort(port, child)));
  } catch (err) {
    const log = errorLog();
    await stop();
    throw new Error(`nginx did not start: ${(err as Error).message}\n${stderr}\n${log}`);
  }
  return { prefix, stop, errorLog };
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}`);
    if ((await connectTo(port)) === 'connected') return;
    await sleep(20);
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after 5 s`);
}
