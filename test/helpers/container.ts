import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './files';
import { findTool, isRoot } from './tools';

/**
 * A machine booted by a real systemd (test/system/nspawn.sh): systemd-nspawn -b over an
 * overlay of / whose upper layer is a tmpfs, loopback only. Commands run inside as root
 * through nsenter, with a clean environment; nothing reaches the host's disk.
 */
export const NSPAWN_SCRIPT = join(REPO_ROOT, 'test/system/nspawn.sh');

/** Whether a container can boot here, or why not: root, systemd-nspawn, nsenter, overlayfs. */
export function containerSupport(): { ok: boolean; reason: string } {
  if (!isRoot) return { ok: false, reason: 'booting a container needs root' };
  for (const [tool, pkg] of [['systemd-nspawn', 'systemd-container'], ['nsenter', 'util-linux'], ['systemctl', 'systemd']] as const) {
    if (!findTool(tool)) return { ok: false, reason: `${tool} is not installed (apt-get install ${pkg})` };
  }
  if (!/\toverlay$/m.test(spawnSync('cat', ['/proc/filesystems'], { encoding: 'utf8' }).stdout ?? '')) {
    spawnSync('modprobe', ['overlay']);
    if (!/\toverlay$/m.test(spawnSync('cat', ['/proc/filesystems'], { encoding: 'utf8' }).stdout ?? '')) return { ok: false, reason: 'the kernel has no overlay file system' };
  }
  return { ok: true, reason: '' };
}

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export class Container {
  /** The tmpfs that holds the overlay; the machine's / is `${dir}/root`. */
  readonly dir: string;
  constructor() {
    this.dir = mkdtempSync('/tmp/hh-nspawn-');
  }

  /** The container's / as the host sees it (the overlay): files written here are the container's. */
  get root(): string {
    return join(this.dir, 'root');
  }

  private script(args: string[], input?: string, timeoutMs = 120_000): Promise<Ran> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn('bash', [NSPAWN_SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`nspawn.sh ${args.slice(0, 3).join(' ')}… did not end in ${timeoutMs} ms:\n${stdout}\n${stderr}`));
      }, timeoutMs);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - started });
      });
      child.stdin.end(input ?? '');
    });
  }

  /** Boots the machine (mounting the overlay the first time); returns how long systemd took to come up. */
  async boot(): Promise<number> {
    const out = await this.script(['boot', this.dir]);
    if (out.code !== 0) throw new Error(`the container did not boot:\n${out.stdout}${out.stderr}`);
    const ms = /booted in (\d+) ms/.exec(out.stdout);
    return ms ? Number(ms[1]) : out.ms;
  }

  /** A command inside, as root. */
  run(argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<Ran> {
    return this.script(['run', this.dir, ...argv], opts.input, opts.timeoutMs);
  }

  /** A bash script inside, as root (set -euo pipefail). */
  sh(script: string, opts: { input?: string; timeoutMs?: number } = {}): Promise<Ran> {
    return this.run(['bash', '-c', `set -euo pipefail\n${script}`], opts);
  }

  /** Like sh, but a non-zero exit throws with the script's output. */
  async ok(script: string, opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    const out = await this.sh(script, opts);
    if (out.code !== 0) throw new Error(`exit ${out.code} from:\n${script}\n--- stdout\n${out.stdout}\n--- stderr\n${out.stderr}`);
    return out.stdout;
  }

  /** systemctl poweroff, waited for; the overlay stays, so a later boot() sees what this one wrote. */
  async stop(): Promise<void> {
    await this.script(['stop', this.dir]);
  }

  /** Powers off and unmounts everything. */
  async teardown(): Promise<void> {
    await this.script(['teardown', this.dir]);
    if (existsSync(this.dir)) rmdirSync(this.dir);
  }
}
