import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SETTINGS } from '../../../src/config/config';
import { findTool, parseDockerfile, REPO_ROOT, skipUnless } from '../../helpers';

/**
 * compose.yaml, without a container engine (none runs where the tests run): Debian's
 * docker-compose validates it against the Compose schema (`config` needs no daemon), and
 * this file checks what a schema cannot: that it fits the Dockerfile (the volume, the
 * secret's path, the entry command), that no secret is a variable, that every HH_* name
 * is a setting, and that the database connection is the one hh-oauth accepts across a
 * network (verify-full, the CA mounted, no password in the URL). Not run: the services.
 */
interface Service {
  image?: string;
  build?: string;
  user?: string;
  command?: string[] | string;
  entrypoint?: string[];
  environment?: Record<string, string>;
  secrets?: Array<string | { source: string; target?: string }>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  init?: boolean;
  stop_grace_period?: string;
}
interface Compose {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
}

const text = readFileSync(join(REPO_ROOT, 'compose.yaml'), 'utf8');
const compose = parse(text, { merge: true }) as Compose;
const image = parseDockerfile(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const ours = Object.entries(compose.services).filter(([, s]) => s.image === 'hh-oauth');
const secretPaths = (s: Service) => (s.secrets ?? []).map((x) => (typeof x === 'string' ? `/run/secrets/${x}` : (x.target ?? `/run/secrets/${x.source}`)));
const mounts = (s: Service) => (s.volumes ?? []).map((v) => v.split(':')) as Array<[string, string, string?]>;

const dockerCompose = findTool('docker-compose');
const skipConfig = skipUnless(!!dockerCompose, 'docker-compose is not installed (apt-get install docker-compose): the schema check is not run');

describe('compose.yaml', () => {
  it.skipIf(skipConfig)('is valid for docker-compose (its schema; `config` needs no daemon)', () => {
    const out = spawnSync(dockerCompose!, ['-f', 'compose.yaml', '--project-directory', REPO_ROOT, 'config', '--quiet'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
  });

  it("builds the repository's image and runs the worker with the image's own entry command, its volume and its secret path", () => {
    expect(ours.map(([name]) => name).sort()).toEqual(['store-init', 'worker']);
    for (const [, s] of ours) expect(s.build).toBe('.');
    const worker = compose.services.worker!;
    // The worker is the image's CMD (refresh --all --watch …), not a copy that could drift.
    expect(worker.command).toBeUndefined();
    expect(worker.entrypoint).toBeUndefined();
    expect(image.cmd).toContain('--watch');
    // Its state directory is the image's VOLUME, a named volume.
    const state = mounts(worker).find(([, target]) => target === image.volumes[0]);
    expect(state, `the worker mounts ${image.volumes[0]}`).toBeDefined();
    expect(compose.volumes).toHaveProperty(state![0]);
    // The client secret lands where the image's HH_CLIENT_SECRET_FILE looks.
    expect(secretPaths(worker)).toContain(image.env.HH_CLIENT_SECRET_FILE);
    // The port the HEALTHCHECK asks, published on loopback only.
    const port = image.cmd[image.cmd.indexOf('--listen') + 1]!.split(':').at(-1);
    expect(worker.ports).toEqual([`127.0.0.1:${port}:${port}`]);
    expect(worker.init).toBe(true);
    expect(compose.services['store-init']!.command).toEqual(['store', 'init']);
    expect(worker.depends_on?.['store-init']?.condition).toBe('service_completed_successfully');
  });

  it('keeps every secret in a file: no secret-looking variable, the files it names are mounted secrets', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      const env = s.environment ?? {};
      const secretish = Object.keys(env).filter((k) => /SECRET|PASSWORD/.test(k) && !/_FILE$/.test(k));
      expect(secretish, `${name}: secret variables`).toEqual([]);
      for (const [k, v] of Object.entries(env)) {
        if (/_FILE$/.test(k) && /SECRET|PASSWORD/.test(k)) expect(secretPaths(s), `${name}: ${k}`).toContain(v);
      }
      for (const ref of s.secrets ?? []) expect(compose.secrets).toHaveProperty(typeof ref === 'string' ? ref : ref.source);
    }
    for (const { file } of Object.values(compose.secrets)) expect(file).toMatch(/^\.\/secrets\//);
    // .dockerignore keeps them out of the build context.
    expect(readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')).toMatch(/^secrets$/m);
  });

  it('names only settings hh-oauth has, and connects to the database as it allows across a network', () => {
    for (const [name, s] of ours) {
      const unknown = Object.keys(s.environment ?? {}).filter((k) => k.startsWith('HH_') && !(k in SETTINGS));
      expect(unknown, `${name}: HH_* names that are no setting`).toEqual([]);
      const dsn = new URL(s.environment!.HH_TOKEN_STORE!);
      expect(dsn.protocol).toMatch(/^postgres(ql)?:$/);
      expect(dsn.password, `${name}: the password is not in the URL`).toBe('');
      expect(dsn.hostname).toBe('db');
      expect(compose.services).toHaveProperty(dsn.hostname);
      // Not loopback: hh-oauth wants TLS with verification, and the CA must be mounted where sslrootcert says.
      expect(dsn.searchParams.get('sslmode')).toBe('verify-full');
      const ca = dsn.searchParams.get('sslrootcert')!;
      expect(mounts(s).some(([, target]) => ca.startsWith(`${target}/`))).toBe(true);
      expect(s.depends_on).toBeDefined();
    }
    const db = compose.services.db!;
    expect(db.command).toEqual(expect.arrayContaining(['ssl=on']));
    expect(db.environment?.POSTGRES_PASSWORD_FILE).toBe('/run/secrets/db_password');
  });

  it('every depends_on names a service, every named volume is declared', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const dep of Object.keys(s.depends_on ?? {})) expect(compose.services, `${name} depends on ${dep}`).toHaveProperty(dep);
      for (const [source] of mounts(s)) if (!source.startsWith('.') && !source.startsWith('/')) expect(compose.volumes).toHaveProperty(source);
    }
  });
});
