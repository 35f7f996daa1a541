import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** scripts/check-dist.mjs against the real build (npm test builds first) and against made-up ones. */
const script = new URL('../scripts/check-dist.mjs', import.meta.url).pathname;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function check(dist?: Record<string, string>) {
  let dir: string | undefined;
  if (dist) {
    dir = mkdtempSync(join(tmpdir(), 'hh-oauth-dist-'));
    dirs.push(dir);
    for (const [name, code] of Object.entries(dist)) writeFileSync(join(dir, name), code);
  }
  const out = spawnSync(process.execPath, [script, ...(dir ? [dir] : [])], { encoding: 'utf8' });
  return { code: out.status, output: out.stdout + out.stderr };
}

const goodCli = 'import { Command } from "commander";\nconst refresh = () => import("./refresh-ABCDEFGH.js");\n';
const goodMain = 'import { join } from "node:path";\nconst cold = () => import("./cli.js");\n';

describe('npm run check:dist', () => {
  it('passes on the real build', () => {
    const { code, output } = check();
    expect(output).toContain('hot path (bin/hh-oauth → dist/main.js)');
    expect(code, output).toBe(0);
  });

  it('passes on a minimal good layout, so the failures below are about their one change', () => {
    expect(check({ 'main.js': goodMain, 'cli.js': goodCli, 'refresh-ABCDEFGH.js': 'export default 1;\n' }).code).toBe(0);
  });

  it('fails when the hot file imports a package, a heavy built-in or another chunk at start-up', () => {
    for (const line of ['import chalk from "chalk";', 'import { createServer } from "node:http";', 'import { x } from "./chunk-ABC.js";']) {
      const { code, output } = check({ 'main.js': `${line}\n${goodMain}`, 'cli.js': goodCli, 'refresh-ABCDEFGH.js': '', 'chunk-ABC.js': '' });
      expect(code, line).toBe(1);
      expect(output).toContain('check:dist FAILED');
    }
  });

  it('fails when a hot command, through commander, reaches conf, execa, open or qrcode', () => {
    const { code, output } = check({
      'main.js': goodMain,
      'cli.js': goodCli,
      'refresh-ABCDEFGH.js': 'import { s } from "./chunk-XYZ.js";\n',
      'chunk-XYZ.js': 'import Conf from "conf";\nexport const s = 1;\n',
    });
    expect(code).toBe(1);
    expect(output).toMatch(/refresh reaches conf at start-up/);
  });

  it('fails when the hot file bundles something other than ofetch and its helpers', () => {
    const { code, output } = check({ 'main.js': `// node_modules/qrcode/lib/index.js\n${goodMain}`, 'cli.js': goodCli });
    expect(code).toBe(1);
    expect(output).toMatch(/bundles qrcode/);
  });
});
