import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli';
import { findTool } from './tools';

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

/** A port that was free a moment ago (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The nginx site `hh-oauth install-units` renders (nginx/hh-oauth.conf), for a loopback
 * port and upstream: rendered by the built CLI under a --root prefix, nothing enabled.
 * Its callback access log goes to logDir.
 */
export async function renderedCallbackConf(opts: { listenPort: number; upstream: string; logDir: string }): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'hh-oauth-render-'));
  try {
    const out = await runCli(
      ['install-units', '--root', root, '--no-enable', '--server-name', 'bot.example.com', '--listen', `127.0.0.1:${opts.listenPort}`, '--callback-upstream', opts.upstream, '--nginx-log-dir', opts.logDir],
      { env: { PATH: process.env.PATH, HOME: root, HH_CONFIG_DIR: join(root, 'config') } },
    );
    if (out.code !== 0) throw new Error(`install-units failed (${out.code}): ${out.stderr}`);
    return readFileSync(join(root, 'etc/nginx/sites-available/hh-oauth.conf'), 'utf8');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** A real nginx in front of a login listener, with the config install-units renders. */
export async function startCallbackProxy(opts: { listenPort: number; upstream: string }): Promise<RunningNginx> {
  const logDir = mkdtempSync(join(tmpdir(), 'hh-oauth-nginx-logs-'));
  const conf = await renderedCallbackConf({ ...opts, logDir });
  const nginx = await startNginx(conf, [opts.listenPort]);
  return {
    ...nginx,
    stop: async () => {
      await nginx.stop();
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}

export async function startNginx(siteConf: string, ports: number[]): Promise<RunningNginx> {
  const binary = findTool('nginx');
  if (!binary) throw new Error('nginx not found (apt-get install nginx-light)');
  const prefix = mkdtempSync(join(tmpdir(), 'hh-oauth-nginx-'));
  writeFileSync(join(prefix, 'site.conf'), siteConf);
  // As root, nginx would switch its workers to "nobody", who cannot enter the 0700 prefix.
  const user = process.getuid?.() === 0 ? 'user root root;\n' : '';
  writeFileSync(
    join(prefix, 'nginx.conf'),
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
    include ${prefix}/site.conf;
}
`,
  );
  const child = spawn(binary, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')], {
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
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after 5 s`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
