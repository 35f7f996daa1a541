import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, useTempDirs } from '../../helpers';

/**
 * The .deb's prerm runs as root with whatever PATH dpkg was given (sudo's, an operator's
 * shell with ~/bin or /usr/local/bin first). It must run the binary the package is removing,
 * /usr/bin/hh-oauth, never another `hh-oauth` found first on PATH (an npm copy of another
 * version, or a file a user could write).
 */
const PRERM = join(REPO_ROOT, 'packaging', 'debian', 'prerm');
const tempDir = useTempDirs('hh-prerm-');

function runPrerm(arg: string): { ran: boolean; status: number | null } {
  const dir = tempDir();
  const marker = join(dir, 'ran');
  writeFileSync(join(dir, 'hh-oauth'), `#!/bin/sh\necho "$@" > ${marker}\n`, { mode: 0o755 });
  const out = spawnSync('sh', [PRERM, arg], { env: { PATH: `${dir}:/usr/sbin:/usr/bin:/sbin:/bin` }, encoding: 'utf8' });
  return { ran: existsSync(marker), status: out.status };
}

describe('packaging/debian/prerm', () => {
  it('remove: never runs an hh-oauth found on PATH before /usr/bin', () => {
    const { ran, status } = runPrerm('remove');
    expect(ran, 'the hh-oauth first on PATH was run').toBe(false);
    expect(status).toBe(0);
  });

  it('upgrade: runs nothing', () => {
    const { ran, status } = runPrerm('upgrade');
    expect(ran).toBe(false);
    expect(status).toBe(0);
  });
});
