import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Container, containerSupport, REPO_ROOT, skipUnless } from '../helpers';

/**
 * The .deb under a real dpkg and a real systemd, with no Node anywhere (issue 16): a machine
 * booted by systemd-nspawn (test/system/nspawn.sh) in which every node binary is deleted
 * from the overlay (a whiteout; the host keeps its own). One boot, in order: install, units,
 * login against the sandbox (the binary's own `hh-oauth sandbox`), the service's refresh;
 * an upgrade over the edited conffile; remove; purge. The transcript goes to
 * test/artifacts/deb-no-node.txt.
 */
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const DEB = join(REPO_ROOT, 'build', `hh-oauth_${VERSION}_amd64.deb`);
const support = containerSupport();
const skip = skipUnless(support.ok && existsSync(DEB), support.ok ? `${DEB} is missing: run \`npm run package\`` : support.reason);
const TOKEN = '/var/lib/hh-token/token.json';
const ENV = '/etc/hh-oauth/hh-oauth.env';
const NEXT = `${VERSION}+test1`;

describe.skipIf(skip)('the .deb in a machine without Node: install, units, login, refresh, upgrade, remove, purge', () => {
  const c = new Container();
  const transcript: string[] = [];
  /** Runs a script inside and keeps it, with its output, for the transcript. */
  const step = async (script: string, opts: { timeoutMs?: number } = {}) => {
    const out = await c.sh(script, opts);
    transcript.push(`# ${script.trim().split('\n').join('\n# ')}`, out.stdout.trimEnd(), out.stderr.trimEnd(), `(exit ${out.code})`, '');
    return out;
  };
  const ok = async (script: string, opts: { timeoutMs?: number } = {}) => {
    const out = await step(script, opts);
    if (out.code !== 0) throw new Error(`exit ${out.code} from:\n${script}\n--- stdout\n${out.stdout}\n--- stderr\n${out.stderr}`);
    return out.stdout;
  };
  const accessToken = () => c.ok(`jq -er .access_token ${TOKEN}`).then((s) => s.trim());

  beforeAll(async () => {
    await c.boot();
    // Every node of the image goes (rm in the overlay writes a whiteout); the host's stay.
    await ok(String.raw`
      for n in $(which -a node nodejs 2>/dev/null) $(find /usr /opt /root /home -xdev \( -name node -o -name nodejs \) -type f 2>/dev/null); do rm -f "$n"; done
      ! command -v node
      [ -z "$(find /usr /opt /root /home -xdev \( -name node -o -name nodejs \) -type f 2>/dev/null)" ]
      echo "no node in this machine"`);
  }, 180_000);

  afterAll(async () => {
    mkdirSync(join(REPO_ROOT, 'test/artifacts'), { recursive: true });
    writeFileSync(join(REPO_ROOT, 'test/artifacts/deb-no-node.txt'), transcript.join('\n'));
    await c.teardown();
  }, 120_000);

  it('installs; the files are where Debian puts them, the conffile 0600 in a 0700 /etc/hh-oauth', async () => {
    await ok(`dpkg -i ${DEB} </dev/null`, { timeoutMs: 120_000 });
    expect((await ok('hh-oauth --version')).trim()).toBe(VERSION);
    const listed = await ok('dpkg -L hh-oauth');
    for (const path of ['/usr/bin/hh-oauth', '/usr/share/man/man1/hh-oauth.1.gz', '/usr/share/bash-completion/completions/hh-oauth', '/usr/share/zsh/vendor-completions/_hh-oauth', '/usr/share/hh-oauth/systemd/hh-oauth-refresh.service', '/usr/share/doc/hh-oauth/copyright', ENV]) {
      expect(listed).toContain(`${path}\n`);
    }
    expect((await ok(`stat -c '%a %U:%G' ${ENV} /etc/hh-oauth`)).trim().split('\n')).toEqual(['600 root:root', '700 root:root']);
    expect(await ok('dpkg-query -W -f=\'${Conffiles}\' hh-oauth')).toContain(ENV);
  }, 180_000);

  it('install-units, login against the sandbox, and the service refreshes the token: all with no node', async () => {
    await ok(String.raw`
      cat >> ${ENV} <<'SETTINGS'
HH_CLIENT_ID=sandbox-client-id
HH_CLIENT_SECRET_FILE=/etc/hh-oauth/client-secret
HH_REDIRECT_URI=http://127.0.0.1:8400/callback
HH_USER_AGENT="DebNoNode/1.0 (ci@sandbox.invalid)"
HH_AUTHORIZE_URL=http://127.0.0.1:8300/oauth/authorize
HH_TOKEN_URL=http://127.0.0.1:8300/token
HH_API_URL=http://127.0.0.1:8300
SETTINGS
      (umask 077; echo sandbox-client-secret > /etc/hh-oauth/client-secret)
      systemd-run --unit hh-sandbox --property DynamicUser=yes /usr/bin/hh-oauth sandbox --port 8300 --expires-in 6
      for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:8300/me && break; sleep 0.1; done`);
    // The test's one change to the units: the expiry timer fires on time (systemd's default AccuracySec= is 1min).
    await ok("mkdir -p /etc/systemd/system/hh-oauth-expiry.timer.d && printf '[Timer]\\nAccuracySec=1s\\n' > /etc/systemd/system/hh-oauth-expiry.timer.d/test-accuracy.conf");
    const units = await ok('hh-oauth install-units --no-nginx && cat /etc/systemd/system/hh-oauth-refresh.service', { timeoutMs: 60_000 });
    expect(units).toMatch(/^ExecStart=\/usr\/bin\/hh-oauth refresh$/m);
    expect(units).not.toContain('BindReadOnlyPaths');
    expect((await ok('systemctl is-enabled hh-oauth-refresh.timer hh-oauth-expiry.timer')).trim().split('\n')).toEqual(['enabled', 'enabled']);

    // login, with curl as the browser: it opens the start link and follows the redirects to hh.ru's sandbox and back to the callback.
    await ok(String.raw`
      hh-oauth login --no-open --no-probe --timeout 60s > /tmp/login.out 2> /tmp/login.err &
      for i in $(seq 100); do url=$(grep -om1 'http://127.0.0.1:8400/callback?hh_oauth_start=[0-9a-f]*' /tmp/login.err || true); [ -n "$url" ] && break; sleep 0.1; done
      # The start link, as a browser opens it: its cookie comes back with the callback (curl's cookie engine).
      rm -f /tmp/login.jar; curl -s -L -b /tmp/login.jar -c /tmp/login.jar -o /dev/null "$url"
      wait $!
      cat /tmp/login.err`, { timeoutMs: 90_000 });
    expect((await ok(`stat -c '%U %a' ${TOKEN}`)).trim()).toBe('hh-oauth 600');
    const first = await accessToken();

    // Nobody starts the service: the expiry timer does (a minute after install-units enabled it).
    await ok(String.raw`
      for i in $(seq 120); do journalctl -t hh-oauth -u hh-oauth-refresh.service --no-pager -o cat | grep -q refreshed && break; sleep 1; done
      journalctl -t hh-oauth -u hh-oauth-refresh.service --no-pager -o cat
      systemctl show hh-oauth-expiry.timer -p LastTriggerUSec`, { timeoutMs: 150_000 });
    expect(await ok('systemctl show hh-oauth-expiry.timer -p LastTriggerUSec --value')).toMatch(/\d{4}-\d{2}-\d{2}|\w{3} \d/);
    expect(await accessToken()).not.toBe(first);
    expect(await ok('journalctl -t hh-oauth -u hh-oauth-refresh.service --no-pager -o cat')).toMatch(/refreshed/);
    expect((await ok(`stat -c '%U %a' ${TOKEN}`)).trim()).toBe('hh-oauth 600');
  }, 300_000);

  it('an upgrade over the edited conffile keeps the edit and, with --force-confdef --force-confold, asks nothing', async () => {
    // The next version, made from this one: a new Version and a changed conffile, so that dpkg
    // must choose between the operator's edit and the package's new file.
    await ok(String.raw`
      rm -rf /tmp/next && dpkg-deb -R ${DEB} /tmp/next
      sed -i 's/^Version: .*/Version: ${NEXT}/' /tmp/next/DEBIAN/control
      echo '# a line the next version adds' >> /tmp/next${ENV}
      (cd /tmp/next && find . -type f ! -path './DEBIAN/*' -printf '%P\n' | sort | xargs md5sum > DEBIAN/md5sums)
      dpkg-deb --root-owner-group -Znone -b /tmp/next /tmp/next.deb >/dev/null`, { timeoutMs: 120_000 });
    const before = await accessToken();
    // Without them, dpkg asks about the conffile, and with no one to answer it stops (why the docs recommend them).
    const asked = await step('dpkg -i /tmp/next.deb </dev/null', { timeoutMs: 120_000 });
    expect(asked.code).not.toBe(0);
    expect(asked.stdout + asked.stderr).toMatch(/hh-oauth\.env/);
    expect(asked.stdout + asked.stderr).toMatch(/end of file on stdin at conffile prompt/);
    await ok('dpkg -i --force-confdef --force-confold /tmp/next.deb </dev/null', { timeoutMs: 120_000 });
    expect((await ok("dpkg-query -W -f='${Version} ${Status}' hh-oauth")).trim()).toBe(`${NEXT} install ok installed`);
    const kept = await ok(`cat ${ENV}`);
    expect(kept).toContain('HH_CLIENT_ID=sandbox-client-id');
    expect(kept).not.toContain('a line the next version adds');
    expect(await ok(`cat ${ENV}.dpkg-dist`)).toContain('a line the next version adds');
    // The timers went on through the upgrade; the token is the same pair.
    expect((await ok('systemctl is-active hh-oauth-refresh.timer hh-oauth-expiry.timer')).trim().split('\n')).toEqual(['active', 'active']);
    expect(await accessToken()).toBe(before);
  }, 240_000);

  it('remove stops and disables the units and leaves the unit files, the token and its directory', async () => {
    const before = await ok(`sha256sum ${TOKEN}`);
    await ok('dpkg -r hh-oauth </dev/null', { timeoutMs: 120_000 });
    expect(await c.sh('command -v hh-oauth')).toMatchObject({ code: 1 });
    const state = await step('systemctl is-enabled hh-oauth-refresh.timer hh-oauth-expiry.timer || true; systemctl is-active hh-oauth-refresh.timer hh-oauth-expiry.timer hh-oauth-refresh.service || true');
    expect(state.stdout.trim().split('\n')).toEqual(['disabled', 'disabled', 'inactive', 'inactive', 'inactive']);
    expect(await ok(`sha256sum ${TOKEN}`)).toBe(before);
    await ok(`test -f /etc/systemd/system/hh-oauth-refresh.service && test -f ${ENV}`);
    expect((await ok("dpkg-query -W -f='${Status}' hh-oauth")).trim()).toBe('deinstall ok config-files');
  }, 180_000);

  it('purge removes the conffile (and its .dpkg-dist) only: the operator\'s secret, the token, its directory and the user stay', async () => {
    const before = await ok(`sha256sum ${TOKEN}`);
    await ok('dpkg -P hh-oauth </dev/null', { timeoutMs: 120_000 });
    await ok(`! test -e ${ENV} && ! test -e ${ENV}.dpkg-dist`);
    expect((await ok('ls -A /etc/hh-oauth')).trim()).toBe('client-secret');
    expect(await ok(`sha256sum ${TOKEN}`)).toBe(before);
    await ok('getent passwd hh-oauth >/dev/null && test -f /etc/systemd/system/hh-oauth-refresh.service');
    expect(await c.sh('dpkg-query -W hh-oauth')).toMatchObject({ code: 1 });
  }, 180_000);
});
