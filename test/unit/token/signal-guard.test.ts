import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { activeHolds, holdSignals, onStopSignal } from '../../../src/token/signal-guard';

/**
 * The one mechanism for stop signals. Signals are emitted in-process (process.emit runs the
 * listeners without Node's default action) and process.kill is replaced, so the test
 * process never really receives one.
 */
const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
const listeners = () => SIGNALS.map((s) => process.listenerCount(s));
const nextTurn = () => new Promise((r) => setImmediate(r));

let kill: ReturnType<typeof vi.spyOn>;
let before: number[];
beforeEach(() => {
  before = listeners();
  kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(async () => {
  await nextTurn();
  vi.restoreAllMocks();
  expect(activeHolds()).toBe(0);
  expect(listeners(), 'no listener left behind').toEqual(before);
});

describe('a hold', () => {
  it('keeps a signal until released, then raises it after the current turn', async () => {
    const hold = holdSignals();
    process.emit('SIGTERM', 'SIGTERM');
    await nextTurn();
    expect(kill).not.toHaveBeenCalled();
    hold.release();
    expect(kill, 'not in the same turn: an error on its way up is reported first').not.toHaveBeenCalled();
    await nextTurn();
    expect(kill).toHaveBeenCalledWith(process.pid, 'SIGTERM');
  });

  it('raises nothing when nothing arrived', async () => {
    holdSignals().release();
    await nextTurn();
    expect(kill).not.toHaveBeenCalled();
  });

  it('nests: only the last release raises, and a second release of the same hold counts for nothing', async () => {
    const outer = holdSignals();
    const inner = holdSignals();
    process.emit('SIGHUP', 'SIGHUP');
    inner.release();
    inner.release();
    expect(activeHolds()).toBe(1);
    await nextTurn();
    expect(kill).not.toHaveBeenCalled();
    outer.release();
    await nextTurn();
    expect(kill).toHaveBeenCalledTimes(1);
    expect(kill).toHaveBeenCalledWith(process.pid, 'SIGHUP');
  });

  it('a hold that begins before the raise (the next grant of refresh --all) keeps the signal', async () => {
    const first = holdSignals();
    process.emit('SIGTERM', 'SIGTERM');
    first.release();
    const second = holdSignals();
    await nextTurn();
    expect(kill).not.toHaveBeenCalled();
    second.release();
    await nextTurn();
    expect(kill).toHaveBeenCalledWith(process.pid, 'SIGTERM');
  });

  it('listens only while held: afterwards a signal has its default action again', () => {
    const hold = holdSignals();
    expect(listeners()).toEqual(before.map((n) => n + 1));
    hold.release();
    expect(listeners()).toEqual(before);
  });
});

describe('a command\'s own handler', () => {
  it('gets the signal at once, also during a hold, and the guard then raises nothing', async () => {
    const got: string[] = [];
    const stop = onStopSignal((signal) => got.push(signal));
    const hold = holdSignals();
    process.emit('SIGINT', 'SIGINT');
    expect(got).toEqual(['SIGINT']);
    hold.release();
    await nextTurn();
    expect(kill).not.toHaveBeenCalled();
    expect(got, 'given once, not again at the release').toEqual(['SIGINT']);
    stop();
  });

  it('takes only its signals: SIGHUP during a hold is held and raised (refresh --all)', async () => {
    const got: string[] = [];
    const stop = onStopSignal((signal) => got.push(signal));
    expect(process.listenerCount('SIGHUP')).toBe(before[2]);
    const hold = holdSignals();
    process.emit('SIGHUP', 'SIGHUP');
    hold.release();
    await nextTurn();
    expect(got).toEqual([]);
    expect(kill).toHaveBeenCalledWith(process.pid, 'SIGHUP');
    stop();
  });

  it('without a hold, it alone listens; removing it twice is harmless', () => {
    const got: string[] = [];
    const stop = onStopSignal((signal) => got.push(signal));
    process.emit('SIGTERM', 'SIGTERM');
    expect(got).toEqual(['SIGTERM']);
    stop();
    stop();
  });
});
