import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/**
 * "Hosts" for the PostgreSQL store's multi-host suites: each is a process in its own UTS
 * namespace (`unshare --uts`) with its own hostname, and the CLI runs inside it through
 * `nsenter -u`, so that every process of one host sees that host's name (the name the
 * store and the lock messages record) and the hosts differ as separate machines would.
 * Without unshare/nsenter (or privilege for them) the hosts are simply separate processes.
 */
export interface Host {
  name: string;
  /** A runCli `wrap` that runs the CLI on this host. */
  wrap: string[];
  close(): void;
}

/** Whether UTS namespaces can be made here (root, util-linux's unshare and nsenter). */
export const canUseUtsNamespaces = (() => {
  const probe = spawnSync('unshare', ['--uts', 'sh', '-c', 'hostname hh-probe && hostname'], { encoding: 'utf8' });
  return probe.status === 0 && probe.stdout.trim() === 'hh-probe' && spawnSync('nsenter', ['--version']).status === 0;
})();

/** Starts a host named `name`: a sleeping process in a new UTS namespace that holds the name. */
export async function startHost(name: string): Promise<Host> {
  if (!canUseUtsNamespaces) return { name, wrap: [], close: () => undefined };
  const child: ChildProcess = spawn('unshare', ['--uts', 'sh', '-c', 'hostname "$0" && echo ready && exec sleep infinity', name], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`host ${name}: unshare exited ${code}`)));
    child.stdout!.once('data', () => resolve());
  });
  return {
    name,
    wrap: ['nsenter', '-t', String(child.pid), '-u', '--'],
    close: () => void child.kill('SIGKILL'),
  };
}

/** The hostname a process on this host sees (the check that the namespace took). */
export function hostnameOn(host: Host): string {
  const [cmd, ...args] = [...host.wrap, 'hostname'];
  return spawnSync(cmd!, args, { encoding: 'utf8' }).stdout.trim();
}
