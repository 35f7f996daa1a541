import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  initStoreSchema,
  gatedTokenEndpoint,
  hostnameOn,
  jsonOut,
  locksLeft,
  meAnswer,
  quickLogin,
  runCli,
  runSecret,
  sleep,
  startHost,
  startPostgres,
  trackSecrets,
  useHarness,
  waitForExpiry,
  waitingOnLocks,
  type Host,
  type PostgresCluster,
  type RunResult,
  skipWithoutPostgres,
} from '../helpers';


/**
 * The PostgreSQL store shared by several hosts: 3 "hosts" (each its own UTS namespace and
 * hostname, its own state directory for kept pairs), each running 20 `refresh` at once on
 * one expired token. Exactly one grant reaches hh.ru; every process exits 0; every one of
 * them reports the same new pair; no lock is left.
 */
// Long enough that the new pair outlives the whole storm (a second, legitimate refresh of an
// expired new pair would break the count): the 59 others take the row one after another.
const EXPIRES_IN = 20;
const HOSTS = ['hh-host-a', 'hh-host-b', 'hh-host-c'];
const PER_HOST = 20;
const h = useHarness({ expiresIn: EXPIRES_IN });

describe.skipIf(skipWithoutPostgres())('3 hosts × 20 refresh on one expired token in PostgreSQL', () => {
  let pg: PostgresCluster;
  const hosts: Host[] = [];
  beforeAll(async () => {
    pg = await startPostgres();
    trackSecrets(() => [pg.password]);
    for (const name of HOSTS) hosts.push(await startHost(name));
  }, 120_000);
  afterAll(async () => {
    for (const host of hosts) host.close();
    await pg?.stop();
  });

  /** The environment of a run on `host`: the shared store, a state directory of that host's own. */
  const envOn = (host: Host, extra: Record<string, string> = {}) =>
    h.env({ HH_TOKEN_STORE: pg.dsnWithPassword, HH_TOKEN_FILE: join(h.dir, host.name, 'token.json'), ...extra });

  it('spend the refresh token exactly once; all 60 exit 0 and report the same new pair', async () => {
    for (const host of hosts) expect(hostnameOn(host)).toBe(host.name);
    await initStoreSchema(pg);
    await quickLogin(h, envOn(hosts[0]!));
    await waitForExpiry(EXPIRES_IN);

    // The grant is held at the gate until every process is waiting on the row's lock.
    const gate = await gatedTokenEndpoint(h.sandbox.env.HH_TOKEN_URL);
    const before = h.sandbox.stats().refreshed;
    const runs: Array<Promise<RunResult>> = [];
    try {
      for (let i = 0; i < PER_HOST; i++) {
        for (const host of hosts) {
          // Sixty processes start slowly on two cores: the holder's grant and the others' lock wait outlast the start.
          runs.push(runCli(['refresh', '--json'], { env: envOn(host, { HH_TOKEN_URL: gate.url, HH_LOCK_TIMEOUT: '400', HH_HTTP_TIMEOUT: '400' }), wrap: host.wrap, timeoutMs: 450_000 }));
        }
      }
      const all = HOSTS.length * PER_HOST;
      const started = performance.now();
      let waiting = 0;
      while (performance.now() - started < 240_000) {
        waiting = await waitingOnLocks(pg);
        if (gate.asked() === 1 && waiting >= all - 1) break;
        await sleep(200);
      }
      console.log(`postgres concurrency: ${waiting} of ${all - 1} processes waiting on the lock, ${gate.asked()} grant request held, after ${((performance.now() - started) / 1000).toFixed(1)} s; gate opened`);
      expect(gate.asked()).toBe(1);
      gate.open();
      const gateOpened = performance.now();
      const done = await Promise.all(runs);
      const storm = performance.now() - gateOpened;

      for (const run of done) expect(run.code, run.stderr).toBe(0);
      expect(h.sandbox.stats().refreshed - before).toBe(1);
      expect(gate.asked()).toBe(1);
      const docs = done.map((r) => jsonOut(r));
      expect(docs.filter((d) => d.status === 'refreshed')).toHaveLength(1);
      expect(docs.filter((d) => d.status === 'not_due')).toHaveLength(all - 1);
      // One pair: every process reports the new access token's expiry.
      expect(new Set(docs.map((d) => d.expires_at)).size).toBe(1);
      const winner = done.findIndex((r) => jsonOut(r).status === 'refreshed');
      console.log(`postgres concurrency: 1 grant for ${all} processes on ${HOSTS.length} hosts (the winner on ${HOSTS[winner % HOSTS.length]}); all exited 0 ${storm.toFixed(0)} ms after the gate opened`);
    } finally {
      gate.open();
      await Promise.allSettled(runs);
      await gate.close();
    }

    // The row holds the new pair, live at hh.ru, read the same from every host.
    const tokens = await Promise.all(hosts.map((host) => runSecret(h, ['token', '--json'], { HH_TOKEN_STORE: pg.dsnWithPassword, HH_TOKEN_FILE: join(h.dir, host.name, 'token.json') })));
    for (const t of tokens) expect(t.code, t.stderr).toBe(0);
    expect(new Set(tokens.map((t) => jsonOut(t).access_token)).size).toBe(1);
    expect(await meAnswer(h, jsonOut(tokens[0]!).access_token)).toBe('employer');
    expect(await locksLeft(pg)).toEqual([]);
  }, 600_000);
});
