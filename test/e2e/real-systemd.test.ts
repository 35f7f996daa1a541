import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Container, containerSupport, REPO_ROOT, skipUnless, sleep } from '../helpers';

/**
 * The units under a real systemd (issue 15, "A real systemd in CI"): a machine booted by
 * systemd-nspawn (test/system/nspawn.sh), hh-oauth installed in it from `npm pack` as an
 * operator would (npm install -g, from the host: the container reaches no registry), the
 * sandbox as hh.ru, run as units. One boot for scenarios 1-7, a restart for 8.
 *
 * hh.ru's address (127.0.0.1:8300) is a socket unit in front of the sandbox (8301), through
 * systemd-socket-proxyd: "hh.ru down" stops the front, so the sandbox keeps the pairs it
 * issued, as the real hh.ru does across an outage.
 */
const support = containerSupport();
const skip = skipUnless(support.ok, support.reason);

const LIFETIME = 10; // the sandbox's access token lifetime, seconds: long enough for a "not due" run, short enough to wait out
const RESTART_SEC = 6; // the test drop-in's RestartSec= (the unit's is 5min)
const STATE = '/var/lib/hh-token';
const TOKEN = `${STATE}/token.json`;
const ACME = `${STATE}/profiles/acme.json`;
const SERVICE = 'hh-oauth-refresh.service';
const ARTIFACTS = join(REPO_ROOT, 'test/artifacts');
const CLIENT_SECRET = 'sandbox-client-secret'; // the sandbox's fixed, public test secret

/** Every root command reads the system settings file by itself; the secret is root's own file. */
const ROOT_ENV = 'export HH_CLIENT_SECRET_FILE=/etc/hh-oauth/client-secret';

const SETUP = String.raw`
install -d -m 0700 /etc/hh-oauth
cat > /etc/hh-oauth/hh-oauth.env <<'ENV'
HH_CLIENT_ID=sandbox-client-id
HH_REDIRECT_URI=http://127.0.0.1:8400/callback
HH_USER_AGENT="RealSystemd/1.0 (ci@sandbox.invalid)"
HH_AUTHORIZE_URL=http://127.0.0.1:8300/oauth/authorize
HH_TOKEN_URL=http://127.0.0.1:8300/token
HH_API_URL=http://127.0.0.1:8300
ENV
chmod 0600 /etc/hh-oauth/hh-oauth.env
cat > /etc/systemd/system/hh-sandbox.service <<'UNIT'
[Unit]
Description=hh.ru emulator (hh-oauth sandbox)
[Service]
ExecStart=/usr/bin/hh-oauth sandbox --port 8301 --expires-in ${LIFETIME}
SyslogIdentifier=hh-sandbox
DynamicUser=yes
[Install]
WantedBy=multi-user.target
UNIT
cat > /etc/systemd/system/hh-api.socket <<'UNIT'
[Unit]
Description=hh.ru's address, in front of the sandbox
[Socket]
ListenStream=127.0.0.1:8300
[Install]
WantedBy=sockets.target
UNIT
cat > /etc/systemd/system/hh-api.service <<'UNIT'
[Unit]
Requires=hh-sandbox.service
After=hh-sandbox.service
[Service]
ExecStart=/lib/systemd/systemd-socket-proxyd 127.0.0.1:8301
UNIT
for unit in hh-oauth-refresh.service hh-oauth-refresh@.service; do
  mkdir -p /etc/systemd/system/$unit.d
  # A shorter wait before the retry; and no start rate limit, which the 20 back-to-back runs of
  # scenario 4 would trip (the timers start the unit every 10 minutes at most).
  printf '[Unit]\nStartLimitIntervalSec=0\n[Service]\nRestartSec=${RESTART_SEC}s\n' > /etc/systemd/system/$unit.d/test-restart.conf
done
systemctl daemon-reload
systemctl enable --now hh-sandbox.service hh-api.socket
for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:8300/me && break; sleep 0.1; done
`;

interface Entry {
  MESSAGE: string;
  PRIORITY: string;
  HH_PROFILE?: string;
  _SYSTEMD_UNIT?: string;
  __REALTIME_TIMESTAMP: string;
}

describe.skipIf(skip)('a real systemd: the units, the timers and root beside the service (issue 15)', () => {
  const c = new Container();
  let bootMs = 0;
  const started = Date.now();

  /** `systemctl show` properties of a unit. */
  async function show(unit: string, props: string[]): Promise<Record<string, string>> {
    const out = await c.ok(`TZ=UTC systemctl show ${unit} ${props.map((p) => `-p ${p}`).join(' ')}`);
    return Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  }

  /** The journal entries of hh-oauth (the service's own lines), oldest first. */
  async function journal(match = ''): Promise<Entry[]> {
    const out = await c.ok(`journalctl -t hh-oauth ${match} -o json --no-pager || true`);
    return out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Entry);
  }

  /** Entries that arrived after `before` of them had been seen. */
  const since = async (before: number, match = '') => (await journal(match)).slice(before);

  /** Starts a unit and waits for it (oneshot); the exit code of `systemctl start`. */
  async function start(unit = SERVICE): Promise<number> {
    return (await c.sh(`systemctl start ${unit}`, { timeoutMs: 90_000 })).code;
  }

  /** A token's fingerprint: the tests compare tokens without ever printing one. */
  const fingerprint = (token: string) => `sha256:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;

  /** What the bot in the token group reads, with jq, as its own user (its fingerprint). */
  async function botReads(file = TOKEN): Promise<string> {
    const out = await c.sh(`setpriv --reuid=hhbot --regid=hhbot --init-groups jq -er .access_token ${file}`, { secret: true });
    if (out.code !== 0) throw new Error(`the bot cannot read ${file}: ${out.stderr.trim()}`);
    expect(out.stdout.trim()).not.toBe('');
    return fingerprint(out.stdout.trim());
  }

  /** Every token the files have held, for the leak scan at the end. */
  const secrets = new Set<string>([CLIENT_SECRET]);
  const rootReads = async (file = TOKEN) => {
    const [access, refresh] = (await c.ok(`jq -er '.access_token, .refresh_token' ${file}`, { secret: true })).trim().split('\n');
    secrets.add(access!).add(refresh!);
    return fingerprint(access!);
  };

  /** Owner, group and mode, as `stat` gives them. */
  const stat = async (path: string) => (await c.ok(`stat -c '%U:%G %a' ${path}`)).trim();

  /** Sleeps until the access token in `file` has expired. */
  async function untilDue(file = TOKEN): Promise<void> {
    const expires = Date.parse((await c.ok(`jq -er .expires_at ${file}`)).trim());
    const wait = expires - Date.now() + 300;
    if (wait > 0) await sleep(wait);
  }

  /** The authorize step as a browser does it (the sandbox approves at once), then `exchange -` as root. */
  async function exchangeAsRoot(profile = ''): Promise<Ran> {
    return c.sh(`${ROOT_ENV}
      url=$(hh-oauth ${profile} authorize-url 2>/dev/null | grep -m1 '^http')
      curl -sS -o /dev/null -w '%{redirect_url}' -A 'Mozilla/5.0' "$url" | hh-oauth ${profile} exchange -`);
  }
  type Ran = Awaited<ReturnType<Container['sh']>>;

  /** The service's journal as the closing note quotes it: time, <priority>, who, message; both its own lines and systemd's about it. */
  const evidenceJournal = async () =>
    (await c.ok(
      `journalctl -o json --no-pager _SYSTEMD_UNIT=${SERVICE} + UNIT=${SERVICE} + SYSLOG_IDENTIFIER=hh-oauth | jq -r '[(.__REALTIME_TIMESTAMP | tonumber / 1e6 | strftime("%FT%TZ")), "<" + .PRIORITY + ">", (.SYSLOG_IDENTIFIER + (if .HH_PROFILE then "[" + .HH_PROFILE + "]" else "" end)) + ":", .MESSAGE] | join(" ")'`,
    )).split('\n').filter(Boolean);
  /** Where each part of "one full run" starts and ends in evidenceJournal(). */
  const marks: Record<string, number> = {};
  const mark = async (name: string) => (marks[name] = (await evidenceJournal()).length);

  const sandboxRefreshes = async () => Number((await c.ok('curl -s http://127.0.0.1:8301/_sandbox/stats | jq -e .refreshed')).trim());

  const sandboxFault = (fault: object) => c.ok(`curl -sS -X POST -H 'Content-Type: application/json' -d '${JSON.stringify(fault)}' http://127.0.0.1:8301/_sandbox/fault`);

  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, 'dist/cli.js'))) throw new Error('run `npm run build` first');
    const pack = mkdtempSync('/tmp/hh-nspawn-pack-');
    try {
      const packed = spawnSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', pack], { cwd: REPO_ROOT, encoding: 'utf8' });
      if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
      const tarball = join(pack, readdirSync(pack).find((f) => f.endsWith('.tgz'))!);
      bootMs = await c.boot();
      console.log(`real-systemd: the container booted in ${bootMs} ms`);
      // As an operator would: npm install -g, into the container's /usr (the overlay) from the host.
      const installed = spawnSync('npm', ['install', '-g', '--prefix', join(c.root, 'usr'), '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], {
        encoding: 'utf8',
        env: { ...process.env, npm_config_loglevel: 'error' },
      });
      if (installed.status !== 0) throw new Error(`npm install -g into the container failed: ${installed.stderr}`);
    } finally {
      rmSync(pack, { recursive: true, force: true });
    }
    // The secret goes in from the host, never through an argv.
    mkdirSync(join(c.root, 'etc/hh-oauth'), { recursive: true, mode: 0o700 });
    writeFileSync(join(c.root, 'etc/hh-oauth/client-secret'), `${CLIENT_SECRET}\n`, { mode: 0o600 });
    await c.ok(SETUP);
  }, 180_000);

  afterAll(async () => {
    try {
      // The leak scan: no token the files held, nor the client secret, in anything printed
      // inside or in the whole journal (both boots).
      if (support.ok) {
        const journalText = (await c.sh('journalctl -o cat --no-pager', { secret: true })).stdout;
        const leaks = [...secrets].filter((secret) => secret && (journalText.includes(secret) || c.transcript.some((t) => t.includes(secret))));
        expect(leaks.map(fingerprint), `${secrets.size} secrets scanned`).toEqual([]);
      }
    } finally {
      await c.teardown();
    }
    console.log(`real-systemd: boot ${bootMs} ms, the whole suite ${Math.round((Date.now() - started) / 1000)} s`);
  }, 60_000);

  it('1. install-units with a token group: both timers scheduled, and status shows the expiry timer next run', async () => {
    const out = await c.sh(`${ROOT_ENV}; hh-oauth install-units --token-group hhtoken --no-nginx --client-secret-file /etc/hh-oauth/client-secret --all-profiles --per-profile`);
    expect(out.code, out.stderr).toBe(0);
    await c.ok('useradd --system --no-create-home --shell /usr/sbin/nologin --groups hhtoken hhbot');
    // The state directory exists before the service ever ran: the service user's, enterable by the group.
    expect(await stat(STATE)).toBe('hh-oauth:hhtoken 750');

    const timers = await c.ok('systemctl list-timers --all --no-pager --no-legend');
    for (const unit of ['hh-oauth-refresh.timer', 'hh-oauth-expiry.timer']) {
      const line = timers.split('\n').find((l) => l.includes(unit));
      expect(line, timers).toMatch(/^\w{3} \d{4}-\d{2}-\d{2} /); // a NEXT column, not "-" or "n/a"
    }
    const status = JSON.parse((await c.sh(`${ROOT_ENV}; hh-oauth status --json`)).stdout) as { timers: Array<{ unit: string; next_run: string | null }> };
    const expiry = status.timers.find((t) => t.unit === 'hh-oauth-expiry.timer')!;
    const refresh = status.timers.find((t) => t.unit === 'hh-oauth-refresh.timer')!;
    expect(expiry.next_run).not.toBeNull();
    // OnActiveSec=1min: the first check a minute after enabling.
    expect(Math.abs(Date.parse(expiry.next_run!) - (Date.now() + 60_000))).toBeLessThan(20_000);
    expect(refresh.next_run).toMatch(/T17:00:00\.000Z$/);
  });

  it('2. first login as root (exchange, then login): the file is the service user\'s, 0640 in the group, at once; the service logs not due, then due, at the right priority', async () => {
    const exchanged = await exchangeAsRoot();
    expect(exchanged.code, exchanged.stderr).toBe(0);
    expect(await stat(TOKEN)).toBe('hh-oauth:hhtoken 640');
    expect(await stat(STATE)).toBe('hh-oauth:hhtoken 750');
    const first = await botReads();
    expect(first).toBe(await rootReads());

    const login = await c.sh(`${ROOT_ENV}
      hh-oauth login --no-open --timeout 60s >/tmp/login.out 2>&1 & pid=$!
      for i in $(seq 100); do url=$(grep -om1 'http://127.0.0.1:8400/callback?hh_oauth_start=[0-9a-f]*' /tmp/login.out || true); [ -n "$url" ] && break; sleep 0.1; done
      # The start link, as a browser opens it: its cookie comes back with the callback (curl's cookie engine, a jar of its own).
      rm -f /tmp/login.jar; curl -sS -L -b /tmp/login.jar -c /tmp/login.jar -o /dev/null -A 'Mozilla/5.0' "$url"
      wait $pid; echo "login exit $?"`);
    expect(login.stdout, login.stderr).toContain('login exit 0');
    expect(await stat(TOKEN)).toBe('hh-oauth:hhtoken 640');
    const second = await botReads();
    expect(second).not.toBe(first);

    const before = (await journal()).length;
    await mark('notDue');
    expect(await start()).toBe(0);
    const notDue = (await since(before)).find((e) => /not due/.test(e.MESSAGE));
    expect(notDue, 'a "not due" line').toBeDefined();
    expect(notDue!.PRIORITY).toBe('6');
    expect(await botReads()).toBe(second);

    await untilDue();
    const beforeDue = (await journal()).length;
    expect(await start()).toBe(0);
    const lines = await since(beforeDue);
    const refreshed = lines.find((e) => /\b1 refreshed\b|^refreshed/.test(e.MESSAGE));
    expect(refreshed, JSON.stringify(lines.map((e) => e.MESSAGE))).toBeDefined();
    expect(refreshed!.PRIORITY).toBe('6');
    expect(lines.filter((e) => Number(e.PRIORITY) <= 4)).toEqual([]);
    await mark('dueEnd');
    expect(await stat(TOKEN)).toBe('hh-oauth:hhtoken 640');
    expect(await botReads()).not.toBe(second);
  });

  it('3. the bot reads access_token with jq; doctor as root sees a directory mode that shuts the group out', async () => {
    const doctor = async () => JSON.parse((await c.sh(`${ROOT_ENV}; hh-oauth doctor --json --skip-nginx --no-refresh`)).stdout) as { checks: Array<{ name: string; status: string; message: string }> };
    const permissions = (d: Awaited<ReturnType<typeof doctor>>) => d.checks.find((k) => k.name === 'token-permissions')!;
    const first = await doctor();
    console.log(`real-systemd 3: doctor as root: ${first.checks.map((k) => `${k.name} ${k.status}${k.status === 'fail' ? ` (${k.message})` : ''}`).join('; ')}`);
    expect(permissions(first).status).toBe('pass');
    await c.ok(`chmod 0700 ${STATE}`);
    try {
      await expect(botReads()).rejects.toThrow(/Permission denied/);
      const blocked = permissions(await doctor());
      expect(blocked.status, blocked.message).toBe('fail');
      expect(blocked.message).toMatch(/hhtoken/);
      expect(blocked.message).toContain(STATE);
    } finally {
      await c.ok(`chmod 0750 ${STATE}`);
    }
    expect(permissions(await doctor()).status).toBe('pass');
    expect(await botReads()).toBe(await rootReads());
  });

  it('4. root runs whoami/token/refresh/doctor in a loop while the service refreshes: 20 service runs, none fails', async () => {
    const before = (await journal()).length;
    const refreshedBefore = await sandboxRefreshes();
    const out = await c.sh(`${ROOT_ENV}
      rm -f /tmp/root-loop.log /tmp/stop-loop
      ( while [ ! -e /tmp/stop-loop ]; do
          for cmd in whoami token refresh 'doctor --skip-nginx --no-refresh'; do
            rc=0; hh-oauth $cmd --json >/dev/null 2>>/tmp/root-loop.err || rc=$?; echo "\${cmd%% *} $rc" >>/tmp/root-loop.log
          done
        done ) &
      loop=$!
      fails=0 bot=0
      for i in $(seq 20); do
        systemctl start ${SERVICE} || fails=$((fails + 1))
        setpriv --reuid=hhbot --regid=hhbot --init-groups jq -er .access_token ${TOKEN} >/dev/null || bot=$((bot + 1))
        sleep 1
      done
      touch /tmp/stop-loop; wait $loop
      echo "service failures: $fails; bot failures: $bot"
      sort /tmp/root-loop.log | uniq -c
      sort /tmp/root-loop.err 2>/dev/null | uniq | sed 's/^/root said: /' | head -n 20`, { timeoutMs: 180_000 });
    console.log(`real-systemd 4: ${out.stdout.trim().replace(/\n\s*/g, '; ')}`);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('service failures: 0; bot failures: 0');
    // Root's own commands succeeded too (doctor may warn about the sandbox's URLs, never fail on the lock).
    const root = [...out.stdout.matchAll(/^\s*(\d+) (\w+) (\d+)$/gm)].map((m) => ({ n: Number(m[1]), cmd: m[2]!, code: Number(m[3]) }));
    expect(root.filter((r) => r.cmd !== 'doctor' && r.code !== 0), out.stdout).toEqual([]);
    expect(root.filter((r) => r.code === 7), out.stdout).toEqual([]);
    const lines = await since(before);
    expect(lines.filter((e) => e._SYSTEMD_UNIT === SERVICE && Number(e.PRIORITY) <= 3).map((e) => e.MESSAGE)).toEqual([]);
    // Both sides refreshed while racing for the lock: the token rotated during the loop.
    expect(await sandboxRefreshes()).toBeGreaterThanOrEqual(refreshedBefore + 2);
  }, 180_000);

  it('4b. a root process killed while it holds the lock does not block the service', async () => {
    await untilDue();
    await sandboxFault({ kind: 'hang', path: '/token', times: 1 });
    const killed = await c.sh(`${ROOT_ENV}
      hh-oauth refresh >/tmp/held.out 2>&1 & pid=$!
      for i in $(seq 100); do [ -e ${TOKEN}.lock ] && break; sleep 0.05; done
      sleep 0.5; stat -c '%U:%G %a' ${TOKEN}.lock; stat ${TOKEN}.lock >/root/lock-held-by-root.txt; kill -KILL $pid; wait $pid || echo "root refresh ended by $?"`);
    expect(killed.stdout).toContain('root refresh ended by 137');
    expect(killed.stdout).toMatch(/^hh-oauth:hhtoken 6[04]0$/m);
    const t0 = Date.now();
    expect(await start()).toBe(0);
    // Well under HH_LOCK_TIMEOUT (60 s): the service judged the dead holder rather than waiting it out.
    console.log(`real-systemd 4b: the service's run after root's holder was killed took ${Date.now() - t0} ms`);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(await botReads()).toBe(await rootReads());
  }, 120_000);

  it('5. re-authorization as root after a revoke: the next service run succeeds with no chown', async () => {
    const revoked = await c.sh(`${ROOT_ENV}; hh-oauth revoke --yes`);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await c.sh(`test -e ${TOKEN}`)).code).not.toBe(0);
    const again = await exchangeAsRoot();
    expect(again.code, again.stderr).toBe(0);
    expect(await stat(TOKEN)).toBe('hh-oauth:hhtoken 640');
    const token = await botReads();
    await untilDue();
    expect(await start()).toBe(0);
    expect(await botReads()).not.toBe(token);
    expect(await stat(TOKEN)).toBe('hh-oauth:hhtoken 640');
  });

  it('6. a profile added by root: the per-profile unit and the --all-profiles unit refresh it; the bot reads it; HH_PROFILE=acme finds its runs', async () => {
    const added = await exchangeAsRoot('--profile acme');
    expect(added.code, added.stderr).toBe(0);
    expect(await stat(`${STATE}/profiles`)).toBe('hh-oauth:hhtoken 750');
    expect(await stat(ACME)).toBe('hh-oauth:hhtoken 640');
    const first = await botReads(ACME);
    await c.ok('systemctl enable --now hh-oauth-refresh@acme.timer hh-oauth-expiry@acme.timer');

    await untilDue(ACME);
    expect(await start('hh-oauth-refresh@acme.service')).toBe(0);
    const second = await botReads(ACME);
    expect(second).not.toBe(first);
    const tagged = await journal('HH_PROFILE=acme');
    expect(tagged.some((e) => /refreshed/.test(e.MESSAGE) && e._SYSTEMD_UNIT === 'hh-oauth-refresh@acme.service'), JSON.stringify(tagged.map((e) => e.MESSAGE))).toBe(true);

    await untilDue(ACME);
    const before = (await journal()).length;
    expect(await start()).toBe(0); // refresh --all
    expect(await botReads(ACME)).not.toBe(second);
    expect((await since(before)).some((e) => /refreshed/.test(e.MESSAGE))).toBe(true);
    expect(await stat(ACME)).toBe('hh-oauth:hhtoken 640');
  });

  it('7. hh.ru down: exit 6, retried after RestartSec, recovered; an unknown refresh token: exit 4, no retry; SIGKILL mid-refresh: the next run recovers', async () => {
    const props = ['NRestarts', 'Result', 'ExecMainStatus', 'ActiveState', 'SubState'];
    const settle = async () => {
      for (let i = 0; i < 100; i++) {
        const s = await show(SERVICE, props);
        if (s.ActiveState !== 'activating' && s.SubState !== 'auto-restart') return s;
        await sleep(500);
      }
      throw new Error('the service did not settle');
    };
    // Runs of the profile and the default token both become due; the profile's own timers stay out of the way.
    await c.ok('systemctl disable --now hh-oauth-refresh@acme.timer hh-oauth-expiry@acme.timer');
    await untilDue();
    await untilDue(ACME);

    // hh.ru down.
    const journalBefore = (await journal()).length;
    await mark('down');
    await c.ok('systemctl stop hh-api.socket hh-api.service');
    expect(await start()).not.toBe(0);
    const failed = await show(SERVICE, props);
    expect(failed.ExecMainStatus).toBe('6');
    expect(failed.SubState).toBe('auto-restart');
    // A temporary failure, which systemd retries, is a warning (4); see the exit 4 below for an error.
    const down = await since(journalBefore);
    expect(down.find((e) => /failed/.test(e.MESSAGE) && /temporary/.test(e.MESSAGE))?.PRIORITY, JSON.stringify(down)).toBe('4');
    expect(down.filter((e) => Number(e.PRIORITY) <= 3)).toEqual([]);
    await c.ok('systemctl start hh-api.socket');
    const recovered = await settle();
    expect(recovered.NRestarts).toBe('1');
    expect(recovered.Result).toBe('success');
    await mark('recovered');
    expect(await botReads()).toBe(await rootReads());

    // A refresh token hh.ru does not know: exit 4, and systemd does not retry it.
    await c.ok(`cp -p ${TOKEN} /root/kept.json
      jq '.refresh_token = "UNKNOWN0000000000000000000000000000000000000000000000000000000000" | .expires_at = "2020-01-01T00:00:00.000Z"' /root/kept.json > ${TOKEN}.new
      cat ${TOKEN}.new > ${TOKEN}; rm ${TOKEN}.new`);
    const beforeUnknown = (await journal()).length;
    expect(await start()).not.toBe(0);
    const unknown = await since(beforeUnknown);
    expect(unknown.find((e) => /reauthorize/.test(e.MESSAGE))?.PRIORITY, JSON.stringify(unknown)).toBe('3');
    await sleep((RESTART_SEC + 2) * 1000);
    const refused = await show(SERVICE, props);
    expect(refused.ExecMainStatus).toBe('4');
    expect(refused.Result).toBe('exit-code');
    expect(refused.ActiveState).toBe('failed');
    // NRestarts counts the automatic restarts since this (manual) start: none.
    expect(refused.NRestarts).toBe('0');
    await c.ok('systemctl reset-failed hh-oauth-refresh.service');
    const reauthorized = await exchangeAsRoot();
    expect(reauthorized.code, reauthorized.stderr).toBe(0);

    // SIGKILL in the middle of a refresh (hh.ru's answer held back): the restart recovers.
    await untilDue();
    await sandboxFault({ kind: 'hang', path: '/token', times: 1 });
    await c.ok(`systemctl start --no-block ${SERVICE}`);
    await sleep(2000);
    // The run is held at hh.ru's answer for one of its two profiles, under that profile's lock.
    await c.ok(`for f in ${TOKEN}.lock ${ACME}.lock; do [ -e $f ] && stat $f >/root/lock-held-by-service.txt && break; done; true`);
    await c.ok(`systemctl kill --signal=KILL ${SERVICE}`);
    await sleep(300);
    expect(await show(SERVICE, ['Result', 'SubState'])).toEqual({ Result: 'signal', SubState: 'auto-restart' });
    const afterKill = await settle();
    expect(afterKill.Result).toBe('success');
    expect(await botReads()).toBe(await rootReads());
    expect(await stat(TOKEN)).toBe('hh-oauth:hhtoken 640');
    await writeEvidence('run');
  }, 240_000);

  it('8. Persistent=true: a 17:00 run missed while the machine was off is caught up at boot', async () => {
    const stamp = '/var/lib/systemd/timers/stamp-hh-oauth-refresh.timer';
    // The last run two days ago: yesterday's 17:00 was missed. The clock itself is the host's and stays put.
    await c.ok(`mkdir -p /var/lib/systemd/timers; touch -d '2 days ago' ${stamp}`);
    // The sandbox starts again with the machine and forgets every pair it issued, so the run
    // at boot must find the pairs not due: new ones, from a sandbox that grants 10 minutes.
    await c.ok(`sed -i 's/--expires-in [0-9]*/--expires-in 600/' /etc/systemd/system/hh-sandbox.service
      systemctl daemon-reload; systemctl restart hh-sandbox.service
      for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:8301/me && break; sleep 0.1; done`);
    for (const profile of ['', '--profile acme']) {
      const fresh = await exchangeAsRoot(profile);
      expect(fresh.code, fresh.stderr).toBe(0);
    }
    await c.stop();
    const bootedAt = Date.now();
    await c.boot();
    let last = '';
    for (let i = 0; i < 40 && !last; i++) {
      const s = await show('hh-oauth-refresh.timer', ['LastTriggerUSec']);
      if (s.LastTriggerUSec && Date.parse(s.LastTriggerUSec.replace(/^\w{3} /, '').replace(' UTC', 'Z').replace(' ', 'T')) >= bootedAt - 2000) last = s.LastTriggerUSec;
      else await sleep(250);
    }
    expect(last, 'the refresh timer fired at boot').not.toBe('');
    const runs = await c.ok(`journalctl -b -u ${SERVICE} -o cat --no-pager`);
    expect(runs).toMatch(/Start(ing|ed) .*hh-oauth/);
    for (let i = 0; i < 40 && (await show(SERVICE, ['ActiveState'])).ActiveState === 'activating'; i++) await sleep(250);
    const atBoot = await show(SERVICE, ['Result', 'ExecMainStatus']);
    expect(atBoot, runs).toEqual({ Result: 'success', ExecMainStatus: '0' });
    expect(Date.parse((await c.ok(`date -u -r ${stamp} +%FT%TZ`)).trim())).toBeGreaterThanOrEqual(bootedAt - 2000);
    await writeEvidence('after-restart');
  }, 120_000);

  /** The journal of the runs, the timers and the files' modes, for the closing note (test/artifacts/, not in git). */
  async function writeEvidence(stage: string): Promise<void> {
    mkdirSync(ARTIFACTS, { recursive: true });
    const files: Record<string, string> = {
      // One line per entry with its priority (3 error, 4 warning, 6 info), the service's own lines and systemd's about it.
      [`real-systemd-journal-${stage}.txt`]: (await evidenceJournal()).join('\n') + '\n',
      [`real-systemd-timers-${stage}.txt`]: await c.ok(`systemctl list-timers --all --no-pager 'hh-oauth-*'`),
      // The lock exists only while it is held: its stat was taken then, by root (4b) and by the service (7).
      [`real-systemd-stat-${stage}.txt`]: await c.ok(`stat ${STATE} ${TOKEN} ${STATE}/profiles ${ACME}; for f in /root/lock-held-by-*.txt; do echo "# $f"; cat $f; done`),
    };
    if (stage === 'run') {
      // One full run: not due → due → hh.ru down → retried → recovered.
      const all = await evidenceJournal();
      files['real-systemd-journal-full-run.txt'] = [...all.slice(marks.notDue, marks.dueEnd), '…', ...all.slice(marks.down, marks.recovered)].join('\n') + '\n';
    }
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(join(ARTIFACTS, name), text);
      console.log(`real-systemd: wrote ${join(ARTIFACTS, name)}`);
    }
  }
});
