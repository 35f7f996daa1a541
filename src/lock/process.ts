import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * A process's identity is its pid plus its start time (field 22 of /proc/PID/stat):
 * pids are reused quickly in containers and under systemd, start times are not.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses; fields after the last ')' are fixed.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** True unless we can prove the process is gone (or that its pid now belongs to another process). */
export function processAlive(pid: number, startTime?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (startTime) {
    const now = processStartTime(pid);
    if (now !== undefined && now !== startTime) return false;
  }
  return true;
}

/**
 * The PID namespace this process lives in ("pid:[4026531836]"): a pid means a process only
 * inside its namespace, and containers that share the hostname (host networking) do not share it.
 */
export function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/** This boot of the kernel: random per boot, so a lock from an earlier one has a dead owner. */
export function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The initial PID namespace's inode number (PROC_PID_INIT_INO): the host's, not a container's. */
const INITIAL_PID_NAMESPACE = 'pid:[4026531836]';

/**
 * Whether no process is left in a PID namespace. Only the host's namespace, as root, sees
 * every process; from anywhere else the answer is "cannot tell", which counts as not gone.
 */
export function pidNamespaceGone(ns: string): boolean {
  if (pidNamespace() !== INITIAL_PID_NAMESPACE || process.getuid?.() !== 0) return false;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return false;
  }
  for (const entry of entries) {
    // Pid 1 here is the host's init, in the host's namespace by definition (and may refuse readlink).
    if (!/^\d+$/.test(entry) || entry === '1') continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) === ns) return false;
    } catch (err) {
      // A process that has just exited is fine; anything else means we cannot see them all.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return false;
    }
  }
  return true;
}
