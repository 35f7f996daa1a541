import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresBinDir, startPostgres, type PostgresCluster, skipWithoutPostgres } from '../../helpers';

/** The throwaway cluster itself: it starts, answers on its socket, refuses TCP without the password, survives a restart, and is removed. */
describe.skipIf(skipWithoutPostgres())('test cluster', () => {
  let pg: PostgresCluster;
  beforeAll(async () => {
    pg = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await pg?.stop();
  });

  it('answers SQL over its socket, as the test role, in the test database', async () => {
    expect(await pg.psql('SELECT current_user, current_database()')).toBe('hh_test|hh_test');
    expect(await pg.psql("SELECT setting FROM pg_settings WHERE name = 'password_encryption'")).toBe('scram-sha-256');
  });

  it('listens on its loopback port', async () => {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(pg.port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    expect(ok).toBe(true);
    expect(pg.dsn).toBe(`postgresql://hh_test@127.0.0.1:${pg.port}/hh_test`);
    expect(pg.dsn).not.toContain(pg.password);
  });

  it('asks for the password on TCP (scram-sha-256): refused without it, accepted with it', () => {
    const psql = join(postgresBinDir()!, 'psql');
    const tcp = (env: Record<string, string>) =>
      spawnSync(psql, ['-X', '-A', '-t', '-w', '-d', pg.dsn, '-c', 'SELECT 1'], { encoding: 'utf8', env: { PATH: process.env.PATH!, ...env } });
    const without = tcp({});
    expect(without.status).not.toBe(0);
    expect(without.stderr).toMatch(/password/);
    const wrong = tcp({ PGPASSWORD: 'not-the-password' });
    expect(wrong.stderr).toMatch(/password authentication failed/);
    const right = tcp({ PGPASSWORD: pg.password });
    expect(right.stdout.trim()).toBe('1');
  });

  it('keeps its data over a halt and a start', async () => {
    await pg.psql('CREATE TABLE kept (v int); INSERT INTO kept VALUES (7)');
    await pg.halt();
    await expect(pg.psql('SELECT 1')).rejects.toThrow(/psql failed/);
    await pg.start();
    expect(await pg.psql('SELECT v FROM kept')).toBe('7');
    await pg.restart();
    expect(await pg.psql('SELECT v FROM kept')).toBe('7');
  }, 120_000);

  it('is removed by stop(), server and directory', async () => {
    const other = await startPostgres();
    expect(existsSync(join(other.dir, 'data', 'postmaster.pid'))).toBe(true);
    await other.stop();
    expect(existsSync(other.dir)).toBe(false);
    await expect(other.psql('SELECT 1')).rejects.toThrow();
  }, 120_000);
});
