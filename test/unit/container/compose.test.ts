import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
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
    expect(worker.stop_grace_period).toBe('120s');
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

/** The manifests of docs/kubernetes.md (its ```yaml blocks): never applied (no cluster), but held to the image they run. */
describe('the manifests of docs/kubernetes.md', () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs/kubernetes.md'), 'utf8');
  const manifests = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].flatMap((m) => parseAllDocuments(m[1]!).map((d) => d.toJS() as Record<string, any>));
  const workloads = manifests.filter((m) => m.kind === 'Deployment' || m.kind === 'StatefulSet');
  const port = Number(image.cmd[image.cmd.indexOf('--listen') + 1]!.split(':').at(-1));
  const [uid, gid] = image.user!.split(':').map(Number);

  it('parse, and run the image as its user, with its volume, its secret path, its port and probes on the worker', () => {
    expect(workloads.map((w) => w.kind)).toEqual(['Deployment', 'StatefulSet']);
    for (const w of workloads) {
      const pod = w.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: uid, runAsGroup: gid, fsGroup: gid });
      // A refresh in flight may wait HH_LOCK_TIMEOUT (60 s) and then hh.ru (docs/worker.md#stopping).
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(120);
      const [c] = pod.containers;
      expect(c.command).toBeUndefined();
      expect(c.args).toBeUndefined();
      expect(c.ports).toEqual([{ name: 'metrics', containerPort: port }]);
      expect(c.readinessProbe.httpGet.path).toBe('/healthz');
      expect(['/healthz', '/metrics']).toContain(c.livenessProbe.httpGet.path);
      const mount = (path: string) => c.volumeMounts.find((v: { mountPath: string }) => v.mountPath === path);
      expect(mount(image.volumes[0]!), `${w.kind}: the state directory is mounted`).toBeDefined();
      const secrets = mount(dirname(image.env.HH_CLIENT_SECRET_FILE!));
      expect(secrets?.readOnly).toBe(true);
      const volume = pod.volumes.find((v: { name: string }) => v.name === secrets.name);
      expect(volume, `${w.kind}: the volume ${secrets.name}`).toBeDefined();
      const items = [...(volume.secret?.items ?? []), ...(volume.projected?.sources ?? []).flatMap((s: any) => (s.secret ?? s.configMap).items)];
      expect(items.map((i: { path: string }) => i.path)).toContain(basename(image.env.HH_CLIENT_SECRET_FILE!));
      expect(volume.secret?.defaultMode ?? volume.projected?.defaultMode).toBe(0o440);
      for (const e of c.env as Array<{ name: string; value: string }>) {
        expect(e.name.startsWith('HH_') ? e.name in SETTINGS : true, `${w.kind}: ${e.name} is a setting`).toBe(true);
        expect(/SECRET|PASSWORD/.test(e.name) && !e.name.endsWith('_FILE'), `${w.kind}: ${e.name} is no secret`).toBe(false);
        if (e.name.endsWith('_FILE')) expect(items.map((i: { path: string }) => `${secrets.mountPath}/${i.path}`)).toContain(e.value);
      }
    }
  });

  it('the file store: one replica, Recreate; the PostgreSQL store: verify-full, no password in the URL, a volume per replica', () => {
    const [deployment, statefulSet] = workloads;
    expect(deployment!.spec.replicas).toBe(1);
    expect(deployment!.spec.strategy).toEqual({ type: 'Recreate' });
    expect(deployment!.spec.template.spec.containers[0].env.map((e: { name: string }) => e.name)).not.toContain('HH_TOKEN_STORE');
    const env = Object.fromEntries(statefulSet!.spec.template.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
    const dsn = new URL(env.HH_TOKEN_STORE);
    expect(dsn.password).toBe('');
    expect(dsn.searchParams.get('sslmode')).toBe('verify-full');
    expect(statefulSet!.spec.replicas).toBeGreaterThan(1);
    expect(statefulSet!.spec.volumeClaimTemplates.map((t: { metadata: { name: string } }) => t.metadata.name)).toContain('state');
  });
});
