import { describe, expect, it } from 'vitest';
import { homeAccess, packageRootFor, renderAll, type UnitSettings } from '../../../src/install/plan';

describe('the unit plan: what the rendered service binds, runs and retries', () => {
  const base: UnitSettings = {
    node: '/usr/bin/node',
    bin: '/usr/lib/node_modules/hh-oauth/bin/hh-oauth',
    user: 'hh-oauth',
    onCalendar: ['*-*-* 17:00:00'],
    expiry: { span: '10min' },
  };
  const service = (s: UnitSettings) => renderAll(s).files.find((f) => f.name === 'hh-oauth-refresh.service')!.content;

  it('a package inside another project binds the whole node_modules (hoisted dependencies)', () => {
    expect(packageRootFor('/home/a/proj/node_modules/hh-oauth/bin/hh-oauth')).toBe('/home/a/proj/node_modules');
    expect(packageRootFor('/opt/hh-oauth/bin/hh-oauth')).toBe('/opt/hh-oauth');
  });

  it('node or the package under /root or /home: ProtectHome=tmpfs plus read-only binds of just those', () => {
    expect(homeAccess('/usr/bin/node', '/opt/hh-oauth/bin/hh-oauth')).toEqual({ protectHome: 'yes', binds: [], warnings: [] });
    const nvm = homeAccess('/root/.nvm/versions/node/v20/bin/node', '/root/.nvm/versions/node/v20/lib/node_modules/hh-oauth/bin/hh-oauth');
    expect(nvm.protectHome).toBe('tmpfs');
    expect(nvm.binds).toEqual(['/root/.nvm/versions/node/v20/bin/node', '/root/.nvm/versions/node/v20/lib/node_modules']);
    const text = service({ ...base, bin: '/home/ops/hh-oauth/bin/hh-oauth' });
    expect(text).toContain('ProtectHome=tmpfs\nBindReadOnlyPaths=/home/ops/hh-oauth\n');
    expect(homeAccess('/usr/bin/node', '/tmp/x/bin/hh-oauth').warnings[0]).toMatch(/PrivateTmp/);
  });

  it('the standalone binary (no node): ExecStart= runs it alone; from /usr/bin nothing is bound, and only the binary itself from a home', () => {
    const binary = { ...base, node: undefined, bin: '/usr/bin/hh-oauth' };
    const text = service(binary);
    expect(text).toMatch(/^ExecStart=\/usr\/bin\/hh-oauth refresh$/m);
    expect(text).toMatch(/^ProtectHome=yes$/m);
    expect(text).not.toContain('BindReadOnlyPaths=');
    expect(text).not.toContain('node');
    expect(homeAccess(undefined, '/root/bin/hh-oauth')).toEqual({ protectHome: 'tmpfs', binds: ['/root/bin/hh-oauth'], warnings: [] });
    const perProfile = renderAll({ ...binary, perProfile: true }).files.find((f) => f.name === 'hh-oauth-refresh@.service')!.content;
    expect(perProfile).toMatch(/^ExecStart=\/usr\/bin\/hh-oauth --profile %i refresh$/m);
  });

  it('--token-group: Group=, a 0750 state directory and HH_TOKEN_GROUP for the store', () => {
    const text = service({ ...base, tokenGroup: 'bots' });
    expect(text).toMatch(/^Group=bots$/m);
    expect(text).toMatch(/^StateDirectoryMode=0750$/m);
    expect(text).toMatch(/^Environment=HH_TOKEN_GROUP=bots$/m);
    expect(service(base)).toMatch(/^StateDirectoryMode=0700$/m);
    expect(service(base)).not.toMatch(/^Group=/m);
  });

  it('the secret: LoadCredential= from a file, never Environment=', () => {
    const text = service({ ...base, secretFile: '/etc/hh-oauth/secret 100%' });
    expect(text).toContain('LoadCredential=hh-client-secret:/etc/hh-oauth/secret 100%%\n');
    expect(text).toMatch(/^UnsetEnvironment=HH_CLIENT_SECRET$/m);
    expect(text).toMatch(/^UnsetEnvironment=HH_CLIENT_SECRET_FILE$/m);
    expect(text).not.toMatch(/^Environment=HH_CLIENT_SECRET/m);
  });

  it('the PostgreSQL store\'s password: LoadCredential= hh-db-password from a file, and the service is not told the file', () => {
    expect(service(base)).not.toContain('hh-db-password');
    const text = service({ ...base, dbPasswordFile: '/etc/hh-oauth/db password 100%' });
    expect(text).toContain('LoadCredential=hh-db-password:/etc/hh-oauth/db password 100%%\n');
    expect(text).toMatch(/^UnsetEnvironment=HH_TOKEN_STORE_PASSWORD_FILE$/m);
  });

  it('retries only exit 6, runs node on the package by absolute path, and logs as hh-oauth', () => {
    const text = service(base);
    const prevent = /^RestartPreventExitStatus=(.*)$/m.exec(text)![1]!.split(' ').map(Number);
    expect(prevent.sort()).toEqual([1, 2, 3, 4, 5, 7]);
    expect(text).toMatch(/^Restart=on-failure$/m);
    expect(text).toContain('ExecStart=/usr/bin/node /usr/lib/node_modules/hh-oauth/bin/hh-oauth refresh\n');
    expect(text).toMatch(/^SyslogIdentifier=hh-oauth$/m);
    expect(text).toMatch(/^UMask=0077$/m);
    expect(text).toMatch(/^StateDirectory=hh-token$/m);
  });

  it('the per-profile template tags its journal entries with HH_PROFILE=%i; the single service does not', () => {
    const { files } = renderAll({ ...base, perProfile: true });
    const template = files.find((f) => f.name === 'hh-oauth-refresh@.service')!.content;
    expect(template).toContain('\nSyslogIdentifier=hh-oauth\nLogExtraFields=HH_PROFILE=%i\n');
    expect(template).toContain(' --profile %i refresh\n');
    expect(service(base)).not.toContain('LogExtraFields');
  });

  it('--expiry-check off drops the expiry timer; repeated --on-calendar gives several OnCalendar= lines', () => {
    const { files } = renderAll({ ...base, expiry: 'off', onCalendar: ['*-*-* 17:00:00', 'Mon 09:00'] });
    expect(files.map((f) => f.name)).toEqual(['hh-oauth-refresh.service', 'hh-oauth-refresh.timer']);
    expect(files[1]!.content).toContain('OnCalendar=*-*-* 17:00:00\nOnCalendar=Mon 09:00\n');
  });
});
