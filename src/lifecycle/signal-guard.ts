import { log } from '../output';

/**
 * From the moment a grant may be sent until its pair is stored, dying loses the pair:
 * hh.ru spends the old refresh token (or the code) when it answers. `systemctl stop`,
 * a shutdown, Ctrl-C or a dropped SSH session in that stretch must wait for the write.
 * A held signal is raised again once nothing is held any more, so the process still
 * stops (with the usual 128+N status) right after the pair is safe.
 */
const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

let holds = 0;
let held: NodeJS.Signals | undefined;

function hold(signal: NodeJS.Signals): void {
  if (!held) log.warn(`${signal}: storing the token pair in progress first (hh.ru may already have spent the old one)`);
  held = signal;
}

/** Holds SIGTERM, SIGINT and SIGHUP until the returned function is called (nested holds count). */
export function holdSignals(): () => void {
  if (holds++ === 0) for (const signal of SIGNALS) process.on(signal, hold);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holds > 0) return;
    for (const signal of SIGNALS) process.off(signal, hold);
    const signal = held;
    held = undefined;
    if (!signal) return;
    // A command with its own handler (refresh --all) gets the signal now, while it listens.
    if (process.listenerCount(signal) > 0) process.emit(signal, signal);
    // Otherwise Node's default action: the process ends as if the signal had just arrived,
    // after the current turn, so that an outcome or an error on its way up is reported first.
    // If a new hold began meanwhile (refresh --all starting its next grant), it keeps the signal.
    else {
      setImmediate(() => {
        if (holds > 0) held ??= signal;
        else process.kill(process.pid, signal);
      });
    }
  };
}
