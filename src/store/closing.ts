/**
 * The stores this process opened that hold connections (not the file store), closed once
 * the command is done (cli/run-cli.ts, cli/run-reported.ts), so that an open pool never
 * keeps a finished command alive. Imports nothing: the hot path's runner calls it too.
 */
const open = new Set<() => Promise<void>>();

export function closeWhenDone(close: () => Promise<void>): void {
  open.add(close);
}

export async function closeOpenStores(): Promise<void> {
  const all = [...open];
  open.clear();
  await Promise.allSettled(all.map((close) => close()));
}
