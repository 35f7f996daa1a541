import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, startCallbackListener, type CallbackListener } from '../../../src/login/listener';

/**
 * Slow-loris against the login listener, with its real limits (no test overrides): a
 * local user opens far more connections than the listener's cap and trickles bytes
 * into them, so that they never go idle and never finish their headers. The operator's
 * real callback, arriving after them, must still be answered.
 */
const STATE = 's'.repeat(32);
const SLOW_CLIENTS = 100;
let listener: CallbackListener | undefined;
const slow: Socket[] = [];
const trickles: NodeJS.Timeout[] = [];
afterEach(async () => {
  trickles.splice(0).forEach(clearInterval);
  slow.splice(0).forEach((s) => s.destroy());
  await listener?.close();
  listener = undefined;
});

/** One slow-loris client: a request line, then one header byte every 200 ms, never the blank line. */
function slowClient(port: number, onClose: () => void): Socket {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.once('close', onClose);
  socket.once('connect', () => {
    socket.write(`GET /callback?code=EVIL&state=${STATE} HTTP/1.1\r\nHost: x\r\nX-Slow: `);
    trickles.push(setInterval(() => socket.writable && socket.write('a'), 200));
  });
  return socket;
}

/** A browser's request: one write with the whole request, on its own connection. */
function realCallback(port: number, cookie: string): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: `/callback?code=REAL&state=${STATE}`, headers: { cookie }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode! }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end();
  });
}

describe('the callback listener under slow clients', () => {
  it(`answers the real callback while ${SLOW_CLIENTS} slow-loris connections are open, before the slow ones time out`, async () => {
    listener = await startCallbackListener({ host: '127.0.0.1', port: 0, path: '/callback', state: STATE, authorizeUrl: 'https://hh.example/oauth/authorize' });
    const { port } = listener.address;
    // The operator's browser opened the start link before the slow clients came.
    const start = await fetch(`http://127.0.0.1:${port}/callback?${listener.startQuery}`, { redirect: 'manual' });
    const cookie = start.headers.get('set-cookie')!.split(';')[0]!;
    const over = SLOW_CLIENTS - DEFAULT_LIMITS.maxConnections;

    // Every slow client is accepted (the ones over the cap are closed at once, or push older ones out).
    let closed = 0;
    let allOverCapClosed!: () => void;
    const settled = new Promise<void>((resolve) => (allOverCapClosed = resolve));
    for (let i = 0; i < SLOW_CLIENTS; i++) {
      slow.push(slowClient(port, () => ++closed === over && allOverCapClosed()));
    }
    await settled;
    const openedAt = Date.now();

    const answered = realCallback(port, cookie);
    const callback = await Promise.race([listener.callback, answered.then((r) => ({ kind: 'refused', r }))]);
    expect(callback).toMatchObject({ kind: 'code', code: 'REAL' });
    await listener.finish('stored');
    expect(await answered).toEqual({ status: 303 }); // sent on to its outcome page

    // Answered because the listener made room, not because the slow clients were timed out.
    expect(Date.now() - openedAt).toBeLessThan(DEFAULT_LIMITS.headersTimeoutMs);
    expect(listener.refusedStates()).toBe(0);
  });

  it('cuts off the slow clients themselves by the header timeout, while they are still trickling', async () => {
    listener = await startCallbackListener({ host: '127.0.0.1', port: 0, path: '/callback', state: STATE });
    const started = Date.now();
    const closedAfter: number[] = [];
    const all = new Promise<void>((resolve) => {
      for (let i = 0; i < 10; i++) slow.push(slowClient(listener!.address.port, () => closedAfter.push(Date.now() - started) === 10 && resolve()));
    });
    await all;
    // Not before the header timeout (they never went idle), and within a few checks of it.
    expect(Math.min(...closedAfter)).toBeGreaterThanOrEqual(DEFAULT_LIMITS.headersTimeoutMs - 100);
    expect(Math.max(...closedAfter)).toBeLessThan(3 * DEFAULT_LIMITS.headersTimeoutMs);
  });
});
