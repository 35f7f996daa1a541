import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * A real nginx for tests, on loopback, in a throwaway prefix (config, pid, logs,
 * temp dirs), in the foreground (`daemon off`), killed by its pid afterwards.
 *
 * The site config is passed in as text and included at http level, the way
 * /etc/nginx/sites-enabled/*.conf is. Today callbackProxyConf() writes a minimal
 * equivalent of the config `hh-oauth install-units` renders; once that command is
 * merged, tests should pass its rendered nginx/hh-oauth.conf here instead.
 */
export interface RunningNginx {
  prefix: string;
  stop(): Promise<void>;
  errorLog(): string;
}

const CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];

export function findNginx(): string | undefined {
  const onPath = (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'nginx'));
  return [...onPath, ...CANDIDATES].find((p) => existsSync(p));
}

/**
 * Why nginx tests cannot run here, or undefined when they can. Under CI a missing
 * nginx is an error, never a skip (.ci/run installs nginx-light).
 */
export function nginxUnavailable(): string | undefined {
  if (findNginx()) return undefined;
  if (process.env.CI) throw new Error('nginx is required in CI (.ci/run installs nginx-light) but was not found');
  return 'nginx is not installed (apt-get install nginx-light); skipping the tests that need a real nginx';
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

/** A minimal stand-in for install-units' nginx/hh-oauth.conf: one server, `location = /callback` → the login listener. */
export function callbackProxyConf(opts: { listenPort: number; upstream: string; path?: string }): string {
  return `server {
    listen 127.0.0.1:${opts.listenPort};
    server_name _;
    location = ${opts.path ?? '/callback'} {
        proxy_pass http://${opts.upstream};
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-Proto https;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Real-IP $remote_addr;
    }
    location / {
        return 404;
    }
}
`;
}

export async function startNginx(siteConf: string, ports: number[]): Promise<RunningNginx> {
  const binary = findNginx();
  if (!binary) throw new Error('nginx not found');
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
