import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Container, containerSupport, durationMs, parseDockerfile, REPO_ROOT, shellQuote, skipUnless, sleep } from '../helpers';

/**
 * The image that the repository's Dockerfile builds, without a container engine (none runs
 * where the tests run; issue 17): every path, user, variable and command is read from the
 * Dockerfile (test/helpers/dockerfile.ts), and the final stage is reproduced inside a
 * machine booted by a real systemd (test/system/nspawn.sh), a Debian like the image's base,
 * with every `node` deleted from it as the image has none. The final stage's RUN lines run
 * as they are, the COPY puts the build stage's product (build/hh-oauth, from `npm run
 * package`) at its destination, the secret is mounted where the image's ENV says, and the
 * ENTRYPOINT + CMD run as the image's USER, in its WORKDIR, with its ENV, as PID 1 of a PID
 * namespace of their own (docker's PID 1: SIGTERM reaches it only through a handler).
 * Then the PostgreSQL store as compose.yaml sets it up, its services' scripts, commands and
 * environments read from compose.yaml: db-tls's certificate for the name "db" (another host
 * to hh-oauth, so verify-full), a PostgreSQL server as uid 999 with the db service's options,
 * store init, the first token, a `refresh --all`, the worker, and the bot's script (the
 * documented SELECT, LISTEN on the rotation channel) as its own user.
 * Not reproduced: the layers, the build stage itself (CI's `npm run package` is the same
 * command), docker's seccomp profile and capabilities, the official postgres image (its
 * entrypoint and its openssl: this machine's, the same Debian release). The transcript goes to
 * test/artifacts/container-image.txt.
 */
const DOCKERFILE = join(REPO_ROOT, 'Dockerfile');
const image = parseDockerfile(readFileSync(DOCKERFILE, 'utf8'));
const build = image.stages.find((s) => s.as === 'build');
/** compose.yaml's services: the PostgreSQL case runs their scripts, commands and environments as compose would. */
const compose = parse(readFileSync(join(REPO_ROOT, 'compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, string>; command?: string[]; entrypoint?: string[]; user?: string }>;
};

const support = containerSupport();
const BINARY = join(REPO_ROOT, 'build/hh-oauth');
const skip = skipUnless(support.ok && existsSync(BINARY), support.ok ? `${BINARY} is missing: run \`npm run package\`` : support.reason);

const LIFETIME = 8; // the sandbox's access-token lifetime, seconds: the worker must refresh at expiry
const CLIENT_SECRET = 'sandbox-client-secret'; // the sandbox's fixed, public test secret
/** What the operator gives at run time (compose.yaml's `environment:`), pointed at the sandbox. */
const RUNTIME_ENV: Record<string, string> = {
  HH_CLIENT_ID: 'sandbox-client-id',
  HH_USER_AGENT: 'ContainerImage/1.0 (ci@sandbox.invalid)',
  HH_REDIRECT_URI: 'http://127.0.0.1:8400/callback',
  HH_AUTHORIZE_URL: 'http://127.0.0.1:8300/oauth/authorize',
  HH_TOKEN_URL: 'http://127.0.0.1:8300/token',
  HH_API_URL: 'http://127.0.0.1:8300',
};
/** docker's PATH when the image sets none. */
const DOCKER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** USER's uid and gid: numeric, so that Kubernetes' runAsNonRoot can check it without the image's passwd. */
function userOf(): { uid: number; gid: number } {
  const m = /^(\d+):(\d+)$/.exec(image.user ?? '');
  if (!m) throw new Error(`the Dockerfile's USER must be numeric uid:gid, not ${image.user}`);
  return { uid: Number(m[1]), gid: Number(m[2]) };
}

/** A build-stage path (`COPY --from=build /src/build/hh-oauth …`) as the repository's: the build stage copies the context (`COPY . .`) into its WORKDIR. */
function inRepository(buildPath: string): string {
  if (!build) throw new Error('the Dockerfile has no stage named build');
  const workdir = build.instructions.filter((i) => i.name === 'WORKDIR').at(-1)?.args.trim();
  if (!workdir) throw new Error('the build stage has no WORKDIR');
  expect(build.instructions.some((i) => i.name === 'COPY' && /^\.\s+\.\/?$/.test(i.args.trim())), 'the build stage copies the context into its WORKDIR').toBe(true);
  const rel = posix.relative(workdir, buildPath);
  if (rel.startsWith('..')) throw new Error(`${buildPath} is outside the build stage's WORKDIR ${workdir}`);
  return join(REPO_ROOT, rel);
}

describe.skipIf(skip)("the Dockerfile's image, reproduced in a booted machine: its user, paths, secret, entry command and HEALTHCHECK", () => {
  const c = new Container();
  const transcript: string[] = [];
  const { uid, gid } = skip ? { uid: 0, gid: 0 } : userOf();
  const volume = image.volumes[0]!;
  const tokenFile = image.env.HH_TOKEN_FILE!;
  const secretFile = image.env.HH_CLIENT_SECRET_FILE!;
  const secrets = new Set<string>([CLIENT_SECRET]);

  const record = (what: string, out: { stdout: string; stderr: string; code: number }) =>
    transcript.push(`# ${what.trim().split('\n').join('\n# ')}`, out.stdout.trimEnd(), out.stderr.trimEnd(), `(exit ${out.code})`, '');
  const step = async (script: string, opts: { timeoutMs?: number; secret?: boolean } = {}) => {
    const out = await c.sh(script, opts);
    record(opts.secret ? `${script.split('\n')[0]} … (output kept out: it holds tokens)` : script, opts.secret ? { ...out, stdout: '', stderr: '' } : out);
    return out;
  };
  const ok = async (script: string, opts: { timeoutMs?: number; secret?: boolean } = {}) => {
    const out = await step(script, opts);
    if (out.code !== 0) throw new Error(`exit ${out.code} from:\n${script}\n--- stdout\n${out.stdout}\n--- stderr\n${out.stderr}`);
    return out.stdout;
  };

  /** The environment docker gives the container's processes: PATH, HOSTNAME, HOME (the user's passwd entry), the image's ENV, then the run's own. */
  const environment = (extra: Record<string, string> = {}) => {
    const env: Record<string, string> = { PATH: DOCKER_PATH, HOSTNAME: 'hh-oauth-test', HOME: '/', ...image.env, ...RUNTIME_ENV, ...extra };
    return Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ');
  };
  const home = async () => (await c.ok(`getent passwd ${uid} | cut -d: -f6`)).trim();
  /** A process as docker starts it: as USER, with the environment above (run it in WORKDIR: `inWorkdir`). */
  const asUser = async (argv: string[], extra: Record<string, string> = {}) =>
    `env -i ${environment({ HOME: await home(), ...extra })} setpriv --reuid=${uid} --regid=${gid} --clear-groups -- ${argv.map(shellQuote).join(' ')}`;
  const inWorkdir = `cd ${shellQuote(image.workdir ?? '/')}`;
  /** A command line as `docker run` would start it: as USER, in WORKDIR, with the environment above. */
  const asImage = async (argv: string[], extra: Record<string, string> = {}) => `(${inWorkdir} && ${await asUser(argv, extra)})`;

  const entryCommand = [...image.entrypoint, ...image.cmd];
  const fingerprint = (token: string) => `sha256:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
  const readPair = async () => {
    const [access, refresh] = (await c.ok(`jq -er '.access_token, .refresh_token' ${tokenFile}`, { secret: true })).trim().split('\n');
    secrets.add(access!).add(refresh!);
    return fingerprint(access!);
  };
  const sandboxStats = async () => JSON.parse(await c.ok('curl -sf http://127.0.0.1:8300/_sandbox/stats')) as { refreshed: number };

  beforeAll(async () => {
    await c.boot();
    // The image's base is a Debian of the same release as this machine (its glibc and libstdc++ are what the binary links).
    const release = (await c.ok('. /etc/os-release && echo "$ID:$VERSION_CODENAME"')).trim();
    expect(image.final.from.replace(/-slim$/, '')).toBe(release);
    // The image has no Node: every node of this machine goes (rm in the overlay writes a whiteout; the host keeps its own).
    await ok(String.raw`
      for n in $(which -a node nodejs 2>/dev/null) $(find /usr /opt /root /home -xdev \( -name node -o -name nodejs \) -type f 2>/dev/null); do rm -f "$n"; done
      ! command -v node`);
    // The final stage, in order: its RUN lines as docker runs them (/bin/sh -c, as root) …
    for (const run of image.runs) await ok(`/bin/sh -c ${shellQuote(run)}`);
    // … and its COPY: the build stage's product, root-owned unless --chown says otherwise, its mode kept.
    for (const copy of image.copies) {
      expect(copy.from, `COPY ${copy.sources.join(' ')}: only the build stage's product goes in`).toBe('build');
      expect(copy.sources).toHaveLength(1);
      const source = inRepository(copy.sources[0]!);
      const target = join(c.root, copy.dest);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(source, target);
      chmodSync(target, copy.chmod ? parseInt(copy.chmod, 8) : statSync(source).mode & 0o7777);
      chownSync(target, 0, 0);
      expect(copy.chown).toBeUndefined();
    }
    // The secret, mounted as compose.yaml's comment asks: a file the image's user owns, 0400, in a root-owned
    // directory (/run is the machine's tmpfs: written from inside, through stdin, never an argv).
    await c.ok(`install -d -m 0755 ${dirname(secretFile)} && (umask 077; cat > ${secretFile}) && chown ${uid}:${gid} ${secretFile} && chmod 0400 ${secretFile}`, {
      input: `${CLIENT_SECRET}\n`,
    });
    // hh.ru: the image's own binary as the sandbox, a unit of its own.
    await ok(String.raw`
      systemd-run --unit hh-sandbox --property DynamicUser=yes ${image.entrypoint[0]} sandbox --port 8300 --expires-in ${LIFETIME}
      for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:8300/me && break; sleep 0.1; done`);
  }, 180_000);

  afterAll(async () => {
    try {
      if (!skip) {
        mkdirSync(join(REPO_ROOT, 'test/artifacts'), { recursive: true });
        writeFileSync(join(REPO_ROOT, 'test/artifacts/container-image.txt'), transcript.join('\n'));
        // The leak scan: no token the volume held, nor the client secret, in anything printed inside.
        const printed = [...c.transcript, ...transcript];
        const leaks = [...secrets].filter((s) => printed.some((t) => t.includes(s)));
        expect(leaks.map(fingerprint), `${secrets.size} secrets scanned`).toEqual([]);
      }
    } finally {
      await c.teardown();
    }
  }, 120_000);

  it('the layout: a non-root user with a fixed uid/gid, the binary at the COPY destination runs with no Node, the volume is that user\'s, no secret in ENV', async () => {
    expect(uid).toBeGreaterThan(0);
    const passwd = (await ok(`getent passwd ${uid}`)).trim().split(':');
    expect({ uid: passwd[2], gid: passwd[3], shell: passwd[6] }).toEqual({ uid: String(uid), gid: String(gid), shell: '/usr/sbin/nologin' });
    expect((await ok(`getent group ${gid} | cut -d: -f3`)).trim()).toBe(String(gid));
    // The entry point is the binary the COPY put there, the build's own bytes.
    expect(image.copies.map((cp) => cp.dest)).toContain(image.entrypoint[0]);
    expect((await ok(`sha256sum ${image.entrypoint[0]} | cut -d' ' -f1`)).trim()).toBe(createHash('sha256').update(readFileSync(BINARY)).digest('hex'));
    expect((await ok(`stat -c '%U:%G %a' ${image.entrypoint[0]}`)).trim()).toBe('root:root 755');
    const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect((await ok(await asImage([image.entrypoint[0]!, '--version']))).trim()).toBe(version);
    // The volume: the state directory, the token file's, this user's alone; WORKDIR is inside it (nothing else is writable).
    expect(image.volumes).toHaveLength(1);
    expect(dirname(tokenFile)).toBe(volume);
    expect(image.env.HH_CONFIG_DIR?.startsWith(`${volume}/`)).toBe(true);
    expect(image.workdir).toBe(volume);
    expect((await ok(`stat -c '%u:%g %a' ${volume}`)).trim()).toBe(`${uid}:${gid} 700`);
    // Secrets come from files, never from the image's environment.
    expect(Object.keys(image.env).filter((k) => /SECRET|PASSWORD|TOKEN(?!_FILE$)|DSN|STORE/.test(k) && !k.endsWith('_FILE'))).toEqual([]);
    expect(secretFile.startsWith('/run/secrets/')).toBe(true);
    // The entry command is the worker's, in JSON logs, serving what the HEALTHCHECK asks.
    expect(entryCommand.slice(1)).toEqual(expect.arrayContaining(['refresh', '--all', '--watch', '--log-format', 'json', '--listen']));
    const listen = entryCommand[entryCommand.indexOf('--listen') + 1]!;
    expect(image.expose).toContain(listen.split(':').at(-1));
    expect(image.healthcheck?.cmd.join(' ')).toContain(`/${listen.split(':').at(-1)}`);
    expect(image.healthcheck?.cmd.join(' ')).toContain('/healthz');
    expect(image.stopSignal).toBe('SIGTERM');
    expect(image.labels['org.opencontainers.image.title']).toBe('hh-oauth');
  }, 60_000);

  it('the first token goes into the volume as an operator puts it there: authorize-url, then exchange, two runs of the image', async () => {
    // Two `docker run --rm … authorize-url` / `… exchange -` runs: the pending state survives in the volume between them.
    const url = (await ok(`${await asImage([image.entrypoint[0]!, 'authorize-url'])} 2>/dev/null | grep -m1 '^http'`)).trim();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:8300\/oauth\/authorize\?/);
    await ok(`curl -sS -o /dev/null -w '%{redirect_url}' -A 'Mozilla/5.0' ${shellQuote(url)} | ${await asImage([image.entrypoint[0]!, 'exchange', '-'])}`);
    expect((await ok(`stat -c '%u:%g %a' ${tokenFile}`)).trim()).toBe(`${uid}:${gid} 600`);
    await readPair();
  }, 60_000);

  const health = image.healthcheck!;
  const healthcheck = async () => (await step(await asImage(health.cmd), { timeoutMs: durationMs(health.options.timeout ?? '30s') + 5000 })).code;
  /** The HEALTHCHECK command passes within its start period, as docker runs it (the image's user and environment). */
  async function untilHealthy(): Promise<void> {
    const deadline = Date.now() + durationMs(health.options['start-period'] ?? '0s');
    let healthy = await healthcheck();
    while (healthy !== 0 && Date.now() < deadline) {
      await sleep(500);
      healthy = await healthcheck();
    }
    expect(healthy, `HEALTHCHECK within --start-period=${health.options['start-period']}:\n${await c.ok('cat /tmp/worker.err')}`).toBe(0);
  }
  /** docker's PID 1: the entry command first in a PID namespace of its own, with its own /proc; its exit code kept. Returns its pid (outside). */
  async function startEntry(extra: Record<string, string> = {}): Promise<string> {
    const wrapper = `${inWorkdir} && { unshare --pid --fork --mount --mount-proc -- ${await asUser(entryCommand, extra)} >/tmp/worker.out 2>/tmp/worker.err & echo $! >/tmp/unshare.pid; wait $!; echo $? >/tmp/worker.rc; }`;
    await ok(`rm -f /tmp/worker.rc /tmp/unshare.pid; setsid bash -c ${shellQuote(wrapper)} </dev/null >/dev/null 2>&1 &`);
    for (let i = 0; i < 100; i++) {
      const found = (await c.sh('pgrep -P "$(cat /tmp/unshare.pid)"')).stdout.trim();
      if (found) return found;
      const rc = (await c.sh('cat /tmp/worker.rc 2>/dev/null || true')).stdout.trim();
      if (rc) throw new Error(`the entry command ended at once, exit ${rc}:\n${await c.ok('cat /tmp/worker.err /tmp/worker.out')}`);
      await sleep(100);
    }
    throw new Error('the entry command did not start');
  }
  /** docker stop: SIGTERM to PID 1, SIGKILL after 10 s. Returns the exit status (empty: still running) and what it printed. */
  async function stopEntry(pid: string): Promise<{ rc: string; lines: string[] }> {
    const stopped = Date.now();
    await ok(`kill -TERM ${pid}`);
    let rc = '';
    while (!rc && Date.now() - stopped < 10_000) {
      await sleep(200);
      rc = (await c.sh('cat /tmp/worker.rc 2>/dev/null || true')).stdout.trim();
    }
    const printed = (await c.ok('cat /tmp/worker.err /tmp/worker.out')).trim();
    transcript.push('# the entry command printed (stderr, stdout):', printed, '');
    return { rc, lines: printed.split('\n').filter(Boolean) };
  }
  /** --log-format json: every line is one JSON object (what a log collector parses). */
  const notJson = (lines: string[]) => lines.filter((l) => { try { return typeof JSON.parse(l) !== 'object'; } catch { return true; } });

  it('the entry command as PID 1: HEALTHCHECK passes, the token is refreshed into the volume at expiry, /metrics answers, JSON logs, SIGTERM exits 0', async () => {
    // Before the worker runs, the check fails: it can.
    expect(await healthcheck()).not.toBe(0);
    const before = await readPair();
    const refreshedBefore = (await sandboxStats()).refreshed;
    const worker = await startEntry();
    // The worker is PID 1 inside, as the image's user.
    expect((await ok(`grep -E '^(NSpid|Uid):' /proc/${worker}/status`)).replace(/\s+/g, ' ')).toMatch(new RegExp(`Uid: ${uid} ${uid} ${uid} ${uid} NSpid: ${worker} 1`));
    await untilHealthy();

    // At expiry the worker refreshes: a new pair in the volume, the user's, 0600.
    const refreshDeadline = Date.now() + (LIFETIME + 15) * 1000;
    while ((await readPair()) === before && Date.now() < refreshDeadline) await sleep(500);
    expect(await readPair(), 'the worker refreshed the token in the volume').not.toBe(before);
    expect((await sandboxStats()).refreshed).toBeGreaterThan(refreshedBefore);
    expect((await ok(`stat -c '%u:%g %a' ${tokenFile}`)).trim()).toBe(`${uid}:${gid} 600`);
    const port = entryCommand[entryCommand.indexOf('--listen') + 1]!.split(':').at(-1);
    const metrics = await ok(`curl -sf http://127.0.0.1:${port}/metrics`);
    expect(metrics).toMatch(/^# TYPE \S+ (gauge|counter)/m);
    expect(await healthcheck()).toBe(0);

    // The worker ends by itself, exit 0, well within docker stop's 10 s.
    const { rc, lines } = await stopEntry(worker);
    expect(rc, `the worker's exit status within docker stop's 10 s:\n${lines.join('\n')}`).toBe('0');
    expect(await healthcheck()).not.toBe(0);
    expect(lines.length).toBeGreaterThan(0);
    expect(notJson(lines)).toEqual([]);
    // The pair it stored is whole after the stop.
    await readPair();
  }, 120_000);

  // ---- the PostgreSQL store, as compose.yaml sets it up -------------------------------------
  const services = compose.services;
  const envOf = (name: string) => Object.fromEntries(Object.entries(services[name]!.environment ?? {}).map(([k, v]) => [k, String(v)]));
  /** A service's environment for hh-oauth; the operator's own values (client id, user agent, redirect) are the sandbox's here. */
  const storeEnv = (name: string) => Object.fromEntries(Object.entries(envOf(name)).filter(([k]) => !(k in RUNTIME_ENV)));
  /** Files in the worker's volume besides the configuration directory (authorize-url's pending state). */
  const localFiles = async () => (await ok(`find ${volume} -mindepth 1 -type f ! -path '${volume}/config/*'`)).trim().split('\n').filter(Boolean);
  const bot = services.bot!;
  const botEnv = () => Object.entries({ PATH: DOCKER_PATH, HOME: '/', ...envOf('bot') }).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ');
  const [botUid, botGid] = String(bot.user).split(':');
  /** The documented SELECT, as the bot runs it: over TLS verified against db-tls's CA, its own settings and password file. */
  const selectToken = async () => {
    const out = await c.ok(`echo "SELECT access_token FROM hh_oauth.tokens WHERE profile = 'default'" | env -i ${botEnv()} PGPASSFILE=/tmp/pgpass setpriv --reuid=${botUid} --regid=${botGid} --clear-groups -- psql -XAtq`, { secret: true });
    const token = out.trim();
    expect(token).not.toBe('');
    secrets.add(token);
    return fingerprint(token);
  };
  /** How many times the bot has read the token (its lines; never the token itself). */
  const botReads = async () => (await c.ok('cat /tmp/bot.out')).split('\n').filter((l) => /^bot: .* read the access token of default: [1-9]\d* characters$/.test(l)).length;
  /** Waits until the bot has read the token `n` times: a rotation announced on hh_oauth_token_rotated makes it read again. */
  async function untilBotReads(n: number): Promise<void> {
    for (let i = 0; i < 60 && (await botReads()) < n; i++) await sleep(250);
    expect(await botReads(), await c.ok('cat /tmp/bot.out')).toBeGreaterThanOrEqual(n);
  }

  it('the PostgreSQL store as compose.yaml sets it up: db-tls\'s certificate for "db", store init, the first token; `refresh --all` in a run of the image refreshes the row; the bot\'s SELECT and LISTEN see the rotation', async () => {
    const dsn = new URL(envOf('worker').HH_TOKEN_STORE!);
    // "db" is another host to hh-oauth (not loopback by name), so TLS with verification is required, as in compose.
    await ok(`echo '127.0.0.2 ${dsn.hostname}' >> /etc/hosts && install -d -m 0755 /tls`);
    // db-tls: its script as compose runs it (/bin/sh -euc, as root), with this machine's openssl (the image's Debian release).
    expect(services['db-tls']!.entrypoint).toEqual(['/bin/sh', '-euc']);
    await ok(`/bin/sh -euc ${shellQuote(String((services['db-tls']!.command as string[])[0]))}`);
    expect((await ok('stat -c "%u %a %n" /tls/server.key /tls/ca.crt')).trim().split('\n')).toEqual(['999 600 /tls/server.key', '0 644 /tls/ca.crt']);
    // The database password: a secret file owned by the image's user, 0400, as compose.yaml's comment says.
    const password = randomBytes(18).toString('hex');
    secrets.add(password);
    const passwordFile = envOf('worker').HH_TOKEN_STORE_PASSWORD_FILE!;
    await c.ok(`(umask 077; cat > ${passwordFile}) && chown ${uid}:${gid} ${passwordFile} && chmod 0400 ${passwordFile}`, { input: `${password}\n`, secret: true });

    // db: PostgreSQL as uid 999 (the official image's postgres), its user and database from the service's environment,
    // its server options from the service's command; scram over TLS only, from the network.
    const db = envOf('db');
    const serverArgs = (services.db!.command as string[]).slice(1);
    await ok(String.raw`
      pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
      getent passwd 999 >/dev/null || useradd --system --uid 999 --user-group --no-create-home --shell /usr/sbin/nologin pgdb
      g=$(id -g 999)
      install -d -o 999 -g $g -m 0700 /var/lib/pgdb /run/pgsock
      install -o 999 -g $g -m 0600 ${passwordFile} /run/pgsock/pw
      setpriv --reuid=999 --regid=$g --clear-groups "$pgbin/initdb" -D /var/lib/pgdb -U ${db.POSTGRES_USER} --pwfile=/run/pgsock/pw --auth-local=trust --auth-host=scram-sha-256 -E UTF8 >/dev/null
      rm -f /run/pgsock/pw
      sed -i '1i hostssl all all 127.0.0.0/8 scram-sha-256' /var/lib/pgdb/pg_hba.conf
      setpriv --reuid=999 --regid=$g --clear-groups "$pgbin/pg_ctl" -D /var/lib/pgdb -l /var/lib/pgdb/server.log -w -o ${shellQuote(`${serverArgs.map(shellQuote).join(' ')} -c listen_addresses=127.0.0.2 -c port=${dsn.port || 5432} -c unix_socket_directories=/run/pgsock`)} start >/dev/null
      setpriv --reuid=999 --regid=$g --clear-groups "$pgbin/createdb" -h /run/pgsock -U ${db.POSTGRES_USER} ${db.POSTGRES_DB}`, { timeoutMs: 60_000 });

    // A new worker volume: empty, the image's user's (the file store's tokens are not in it).
    await ok(`find ${volume} -mindepth 1 -delete && stat -c '%u:%g %a' ${volume}`);
    // store-init: the service's command, as the image's user with its environment.
    const init = await ok(`${await asImage([image.entrypoint[0]!, ...(services['store-init']!.command as string[])], storeEnv('store-init'))} 2>&1`);
    expect(init).toMatch(/schema version \d+/);
    // The first token, into PostgreSQL: authorize-url and exchange with the worker's settings.
    const url = (await ok(`${await asImage([image.entrypoint[0]!, 'authorize-url'], storeEnv('worker'))} 2>/dev/null | grep -m1 '^http'`)).trim();
    await ok(`curl -sS -o /dev/null -w '%{redirect_url}' -A 'Mozilla/5.0' ${shellQuote(url)} | ${await asImage([image.entrypoint[0]!, 'exchange', '-'], storeEnv('worker'))}`);
    // The tokens are in PostgreSQL: the volume holds no token file, and no local kept pair once the commit is done.
    expect(await localFiles()).toEqual([]);

    // bot: its script as compose runs it ($$ is compose's escape of $), as its user, with its environment only.
    expect(bot.entrypoint).toEqual(['/bin/bash', '-euc']);
    const botScript = String((bot.command as string[])[0]).replace(/\$\$/g, '$');
    await ok(`setsid bash -c ${shellQuote(`env -i ${botEnv()} setpriv --reuid=${botUid} --regid=${botGid} --clear-groups -- /bin/bash -euc ${shellQuote(botScript)} >/tmp/bot.out 2>&1`)} </dev/null >/dev/null 2>&1 & echo $! >/tmp/bot.pid`);
    await untilBotReads(1);
    const first = await selectToken();

    // `docker compose run --rm worker refresh --all` (a CronJob's run) once the token has expired: the row changes, the bot reads it again.
    await sleep(LIFETIME * 1000 + 500);
    await ok(`${await asImage([image.entrypoint[0]!, 'refresh', '--all'], storeEnv('worker'))} 2>&1`, { timeoutMs: 60_000 });
    expect(await selectToken(), 'the refresh stored the new pair in the row').not.toBe(first);
    await untilBotReads(2);
    expect(await localFiles()).toEqual([]);
  }, 180_000);

  it("the worker on the PostgreSQL store (the image's entry command, compose's environment): it refreshes the row at expiry, the bot reads each rotation, SIGTERM exits 0", async () => {
    const before = await selectToken();
    const readsBefore = await botReads();
    // worker: the image's entry command with the worker's environment.
    const worker = await startEntry(storeEnv('worker'));
    await untilHealthy();
    const deadline = Date.now() + (LIFETIME + 15) * 1000;
    while ((await selectToken()) === before && Date.now() < deadline) await sleep(500);
    expect(await selectToken(), `the worker refreshed the row:\n${await c.ok('cat /tmp/worker.err; curl -s http://127.0.0.1:9464/healthz')}`).not.toBe(before);
    // The rotation was announced on hh_oauth_token_rotated: the bot read the token again, without polling the row.
    await untilBotReads(readsBefore + 1);
    const { rc, lines } = await stopEntry(worker);
    expect(rc, lines.join('\n')).toBe('0');
    expect(notJson(lines)).toEqual([]);
    // After a clean stop no local kept pair is left in the volume: every pair is in PostgreSQL.
    expect(await localFiles()).toEqual([]);
    await ok('kill -TERM -- -"$(cat /tmp/bot.pid)" 2>/dev/null || true');
  }, 180_000);
});
