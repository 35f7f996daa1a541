import { readdirSync, readFileSync } from 'node:fs';

/**
 * Samples /proc/<pid>/cmdline of watched processes and of everything they spawn
 * (children, grandchildren: hooks, browsers, shells), while they run. A secret in
 * argv is visible to every user of the machine through `ps`, so the leak scan reads
 * these samples too. Sampling cannot see a child that lives less than one period
 * (25 ms); every watched process is also sampled once as soon as it is spawned.
 */
const PERIOD_MS = 25;

interface Watch {
  root: number;
  sink: string[];
  seen: Set<string>;
}

const watches = new Set<Watch>();
let timer: NodeJS.Timeout | undefined;

/** Starts sampling pid and its descendants into sink; returns the function that stops it. */
export function watchArgv(pid: number, sink: string[]): () => void {
  const watch: Watch = { root: pid, sink, seen: new Set() };
  watches.add(watch);
  sampleOne(watch, childrenMap(pid));
  timer ??= setInterval(sampleAll, PERIOD_MS).unref();
  return () => {
    watches.delete(watch);
    if (watches.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

function sampleAll(): void {
  if (watches.size === 0) return;
  const children = childrenMap(Math.min(...[...watches].map((w) => w.root)));
  for (const watch of watches) sampleOne(watch, children);
}

function sampleOne(watch: Watch, children: Map<number, number[]>): void {
  const queue = [watch.root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    const argv = cmdline(pid);
    if (argv !== undefined && !watch.seen.has(argv)) {
      watch.seen.add(argv);
      watch.sink.push(`argv(/proc/${pid}): ${argv}`);
    }
    queue.push(...(children.get(pid) ?? []));
  }
}

function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * ppid → children, from /proc/<pid>/stat (field 4; the comm field before it may hold spaces).
 * Only pids from `from` up: Linux hands out pids in increasing order, so descendants of a
 * watched process come after it (until pid_max wraps around, which a test run does not reach).
 * Reading every /proc/<pid>/stat each period would keep the test process busy.
 */
function childrenMap(from: number): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) < from) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = map.get(ppid) ?? [];
    list.push(Number(name));
    map.set(ppid, list);
  }
  return map;
}
