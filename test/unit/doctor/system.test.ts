import { describe, expect, it } from 'vitest';
import { dumpIncludes, isMainConfig, nginxComplaint, stateWord, timersVerdict } from '../../../src/doctor/system';

describe('timer states from systemctl', () => {
  it('reads the word systemctl prints, or what its complaint means', () => {
    expect(stateWord({ command: 'systemctl is-enabled x', status: 'ok', exitCode: 0, stdout: 'enabled\n', stderr: '' })).toBe('enabled');
    expect(stateWord({ command: 'systemctl is-enabled x', status: 'failed', exitCode: 1, stdout: '', stderr: 'Failed to get unit file state for hh-oauth-refresh.timer: No such file or directory' })).toBe('not-found');
    expect(stateWord({ command: 'systemctl is-enabled x', status: 'failed', exitCode: 1, stdout: '', stderr: "System has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to connect to bus: Host is down" })).toBe('no-systemd');
  });

  it('passes only when both timers are enabled and active', () => {
    const ok = timersVerdict([
      { unit: 'hh-oauth-refresh.timer', enabled: 'enabled', active: 'active' },
      { unit: 'hh-oauth-expiry.timer', enabled: 'enabled', active: 'active' },
    ]);
    expect(ok.status).toBe('pass');
    const off = timersVerdict([
      { unit: 'hh-oauth-refresh.timer', enabled: 'enabled', active: 'inactive' },
      { unit: 'hh-oauth-expiry.timer', enabled: 'disabled' },
    ]);
    expect(off).toMatchObject({ status: 'fail', code: 'config' });
    expect(off.message).toContain('hh-oauth-expiry.timer is disabled');
    expect(off.message).toContain('hh-oauth-refresh.timer is enabled but inactive');
    expect(off.fix).toContain('systemctl enable --now hh-oauth-refresh.timer hh-oauth-expiry.timer');
    const missing = timersVerdict([
      { unit: 'hh-oauth-refresh.timer', enabled: 'not-found' },
      { unit: 'hh-oauth-expiry.timer', enabled: 'not-found' },
    ]);
    expect(missing.message).toContain('are not installed');
    expect(missing.fix).toContain('install-units');
    const container = timersVerdict([
      { unit: 'hh-oauth-refresh.timer', enabled: 'enabled', active: 'no-systemd' },
      { unit: 'hh-oauth-expiry.timer', enabled: 'enabled', active: 'no-systemd' },
    ]);
    expect(container.message).toContain('systemd is not running');
    expect(container.fix).toContain('--skip-systemd');
  });
});

describe('reading nginx: a whole nginx.conf or a server block, `nginx -T` includes, the [emerg] line', () => {
  it('tells a whole nginx.conf from a server block', () => {
    expect(isMainConfig('events {}\nhttp {\n  server {}\n}\n')).toBe(true);
    expect(isMainConfig('limit_req_zone $a zone=z:1m rate=1r/s;\nserver {\n  listen 80;\n}\n')).toBe(false);
  });
  it('finds the loaded file in `nginx -T` output, exactly', () => {
    const dump = '# configuration file /etc/nginx/nginx.conf:\n...\n# configuration file /etc/nginx/sites-enabled/hh-oauth.conf:\nserver {}\n';
    expect(dumpIncludes(dump, '/etc/nginx/sites-enabled/hh-oauth.conf')).toBe(true);
    expect(dumpIncludes(dump, '/etc/nginx/sites-enabled/hh-oauth')).toBe(false);
  });
  it('keeps the [emerg] line without its timestamp', () => {
    const stderr = 'nginx: [alert] could not open error log file\n2026/11/23 11:15:57 [emerg] 12539#12539: unknown directive "bogus" in /tmp/x.conf:1\nnginx: configuration file /tmp/n.conf test failed\n';
    expect(nginxComplaint(stderr)).toBe('[emerg] unknown directive "bogus" in /tmp/x.conf:1');
  });
});
