import { log } from '../output';

/**
 * The one place that listens for stop signals (SIGTERM: `systemctl stop`, a shutdown;
 * SIGINT: Ctrl-C; SIGHUP: a dropped SSH session). Two kinds of listener:
 *
 * - A hold (holdSignals), taken by the token write protocol (token/write.ts) from just
 *   before a grant is sent until its pair is stored and the lock released. Dying in that
 *   stretch loses the pair: hh.ru spends the old refresh token (or the code) when it
 *   answers. A held signal is raised again once nothing is held any more, so the process
 *   still stops (with the usual 128+N status) right after the pair is safe.
 * - A command's own handler (onStopSignal), for a command that ends itself in its own way:
 *   `refresh --all` stops starting profiles and prints its summary, `login` cancels its
 *   wait for the browser. It gets the signal at once, during a hold too, and the signal is
 *   then the command's: the guard raises nothing after the hold.
 *
 * Nothing else in the code calls process.on for these signals (the sandbox command, a
 * test server, has its own). With neither kind present a signal has Node's default action.
 */
const HELD: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

export type StopSignal = 'SIGTERM' | 'SIGINT' | 'SIGHUP';

interface Handler {
  signals: readonly NodeJS.Signals[];
  fn: (signal: NodeJS.Signals) => void;
}

let holds = 0;
/** The signal that arrived during a hold, with no command handler for it. */
let held: NodeJS.Signals | undefined;
let warned = false;
const handlers = new Set<Handler>();
const listening = new Set<NodeJS.Signals>();

function dispatch(signal: NodeJS.Signals): void {
  const takers = [...handlers].filter((h) => h.signals.includes(signal));
  for (const h of takers) h.fn(signal);
  if (holds === 0) return;
  if (!warned) log.warn(`${signal}: storing the token pair in progress first (hh.ru may already have spent the old one)`);
  warned = true;
  if (takers.length === 0) held = signal;
}

/** Listens exactly for the signals that a hold or a handler wants; the others keep their default action. */
function listen(): void {
  for (const signal of HELD) {
    const wanted = holds > 0 || [...handlers].some((h) => h.signals.includes(signal));
    if (wanted && !listening.has(signal)) process.on(signal, dispatch);
    if (!wanted && listening.has(signal)) process.off(signal, dispatch);
    if (wanted) listening.add(signal);
    else listening.delete(signal);
  }
}

/** A hold on SIGTERM, SIGINT and SIGHUP; holds nest (the last release raises what was held). */
export class SignalHold {
  private released = false;

  constructor() {
    holds++;
    listen();
  }

  /** Idempotent: only the first call counts. */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (--holds > 0) return;
    listen();
    const signal = held;
    held = undefined;
    warned = false;
    if (!signal) return;
    // Node's default action, as if the signal had just arrived: after the current turn, so
    // that an outcome or an error on its way up is reported first. If a new hold began
    // meanwhile (refresh --all starting its next grant), it keeps the signal.
    setImmediate(() => {
      if (holds > 0) held ??= signal;
      else process.kill(process.pid, signal);
    });
  }
}

export function holdSignals(): SignalHold {
  return new SignalHold();
}

/** Holds in force now (for tests and for the protocol's own checks). */
export function activeHolds(): number {
  return holds;
}

/**
 * A command's own handler for signals (SIGTERM and SIGINT unless told): called at once,
 * also during a hold. Returns the function that removes it.
 */
export function onStopSignal(fn: (signal: NodeJS.Signals) => void, signals: readonly StopSignal[] = ['SIGTERM', 'SIGINT']): () => void {
  const handler: Handler = { signals, fn };
  handlers.add(handler);
  listen();
  return () => {
    if (handlers.delete(handler)) listen();
  };
}
