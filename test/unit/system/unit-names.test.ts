import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config';
import { timersVerdict } from '../../../src/doctor/system';
import { renderAll, type UnitSettings } from '../../../src/install/plan';
import { TIMERS } from '../../../src/system/unit-names';

/**
 * The names of the units, the timers and the secret's credential live in one module
 * (src/system/unit-names.ts). What install-units renders is what status and doctor ask
 * systemctl about, and what the service's configuration reads the secret from.
 */
const base: UnitSettings = {
  node: '/usr/bin/node',
  bin: '/usr/lib/node_modules/hh-oauth/bin/hh-oauth',
  user: 'hh-oauth',
  onCalendar: ['*-*-* 17:00:00'],
  expiry: { span: '10min' },
  secretFile: '/etc/hh-oauth/client-secret',
  perProfile: true,
};

describe('one set of names for the units and the credential', () => {
  const { files } = renderAll(base);
  const file = (name: string) => files.find((f) => f.name === name)!.content;

  it('the timers install-units renders are the ones doctor and status check, and each starts a service it renders', () => {
    const timers = files.map((f) => f.name).filter((n) => n.endsWith('.timer') && !n.includes('@'));
    expect(timers).toEqual([...TIMERS]);
    for (const timer of files.filter((f) => f.name.endsWith('.timer'))) {
      const started = /^Unit=(.+)$/m.exec(timer.content)![1]!;
      expect(files.map((f) => f.name), `${timer.name} starts ${started}`).toContain(started.replace('%i', ''));
    }
    const fix = timersVerdict(TIMERS.map((unit) => ({ unit, enabled: 'disabled' }))).fix!;
    expect(fix).toBe(`sudo systemctl enable --now ${timers.join(' ')}`);
  });

  it('the secret handed over as LoadCredential= is the one the service\'s configuration reads', () => {
    const credential = /^LoadCredential=([^:]+):/m.exec(file('hh-oauth-refresh.service'))![1]!;
    const dir = mkdtempSync(join(tmpdir(), 'hh-oauth-credentials-'));
    try {
      writeFileSync(join(dir, credential), 'the-client-secret\n');
      const config = loadConfig({}, {}, { CREDENTIALS_DIRECTORY: dir, HH_CONFIG_DIR: join(dir, 'no-config') });
      expect(config.clientSecret('this test')).toBe('the-client-secret');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
