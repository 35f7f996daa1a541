/**
 * The owner record inside a lock file (and its breaker), and the judgement of whether
 * that owner is provably gone. Kept pure so that every case can be tested directly.
 */
export interface Owner {
  pid: number;
  /** The process's start time (proc.ts): tells the owner from a later process given its pid. */
  start?: string;
  host: string;
  /** PID namespace ("pid:[4026531836]") and boot id; absent in locks written before they were recorded. */
  ns?: string;
  boot?: string;
}

/** The owner in a lock file's content, or undefined when it is not one. */
export function parseOwner(raw: string): Owner | undefined {
  try {
    const owner = JSON.parse(raw) as Owner;
    if (!Number.isInteger(owner.pid) || typeof owner.host !== 'string') return undefined;
    for (const key of ['start', 'ns', 'boot'] as const) {
      if (owner[key] !== undefined && typeof owner[key] !== 'string') return undefined;
    }
    return owner;
  } catch {
    return undefined;
  }
}

export type Verdict = { stale: false } | { stale: true; why: string };

const HELD: Verdict = { stale: false };

/**
 * Whether the owner of a lock is certainly gone, as seen by `me`. A pid is only looked up
 * (through `alive`) where it names the same process for both: same host, same PID
 * namespace, same boot (where both know it). A container with the host's hostname (host networking) but its own
 * PID namespace is judged like another host: its locks are never broken from here.
 */
export function judgeOwner(owner: Owner, me: Owner, alive: (pid: number, start?: string) => boolean, namespaceGone: (ns: string) => boolean = () => false): Verdict {
  // A lock from another host (shared storage) cannot be judged from here.
  if (owner.host !== me.host) return HELD;
  // Another boot of this kernel: every process of that boot is gone, in every namespace. (The
  // boot id may be unknown: the systemd unit's ProcSubset=pid hides it; then the rest decides.)
  if (owner.boot !== undefined && me.boot !== undefined && owner.boot !== me.boot) {
    return { stale: true, why: `pid ${owner.pid} ran before this machine last booted` };
  }
  // Locks written before namespaces were recorded are judged by pid, as they always were.
  // Another namespace (also when ours is unknown): the owner's pid may mean nothing here, but
  // a namespace with no process left in it (a container that was killed) has no owner either.
  if (owner.ns !== undefined && owner.ns !== me.ns) {
    return namespaceGone(owner.ns) ? { stale: true, why: `no process is left in its PID namespace ${owner.ns}` } : HELD;
  }
  return alive(owner.pid, owner.start) ? HELD : { stale: true, why: `pid ${owner.pid} is no longer running` };
}

/** " in another PID namespace (pid:[…])" when the owner's pid means nothing here, for messages. */
export function elsewhere(owner: Owner, me: Owner): string {
  return owner.host === me.host && owner.ns !== undefined && owner.ns !== me.ns ? ` in another PID namespace (${owner.ns})` : '';
}
