import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECK_DIST_SCRIPT, useTempDirs } from '../helpers';

/** scripts/check-dist.mjs against the real build (npm test builds first) and against made-up ones. */
const tempDir = useTempDirs('hh-oauth-dist-');

function check(dist?: Record<string, string>) {
  let dir: string | undefined;
  if (dist) {
    dir = tempDir();
    for (const [name, code] of Object.entries(dist)) writeFileSync(join(dir, name), code);
  }
  const out = spawnSync(process.execPath, [CHECK_DIST_SCRIPT, ...(dir ? [dir] : [])], { encoding: 'utf8' });
  return { code: out.status, output: out.stdout + out.stderr };
}

const goodCli = 'import { Command } from "commander";\nconst refresh = () => import("./refresh-ABCDEFGH.js");\nconst store = () => import("./postgres-ABCDEFGH.js");\n';
const goodMain = 'var import_node_path = require("node:path");\nconst cold = () => import("./cli.js");\nvar vm = require("node:vm");\n';
const goodFull = '// node_modules/ofetch/dist/index.mjs\nvar os = require("node:os");\n';
// The PostgreSQL store's chunk, the one file that may load the driver (on demand, from cli.js).
const goodStore = 'const driver = () => import("pg");\nexport default driver;\n';
const good = { 'main.cjs': goodMain, 'hot-full.cjs': goodFull, 'cli.js': goodCli, 'refresh-ABCDEFGH.js': 'export default 1;\n', 'postgres-ABCDEFGH.js': goodStore };

describe('npm run check:dist', () => {
  it('passes on the real build', () => {
    const { code, output } = check();
    expect(output).toContain('main.cjs (bin/hh-oauth → dist/main.cjs)');
    expect(code, output).toBe(0);
  });

  it('passes on a minimal good layout, so the failures below are about their one change', () => {
    const { code, output } = check(good);
    expect(code, output).toBe(0);
  });

  it('fails when a hot file loads a package, a heavy built-in or anything by ES import', () => {
    const lines = ['var c = require("commander");', 'var h = require("node:child_process");', 'var k = require("node:crypto");', 'import { x } from "node:fs";', 'const o = () => import("open");'];
    for (const file of ['main.cjs', 'hot-full.cjs'] as const) {
      for (const line of lines) {
        const { code, output } = check({ ...good, [file]: `${line}\n${good[file]}` });
        expect(code, `${file}: ${line}`).toBe(1);
        expect(output).toContain('check:dist FAILED');
      }
    }
  });

  it('fails when no file loads the PostgreSQL driver (the store is missing from the build), or a hot file does', () => {
    const { 'postgres-ABCDEFGH.js': _store, ...withoutStore } = good;
    const missing = check({ ...withoutStore, 'cli.js': 'import { Command } from "commander";\nconst refresh = () => import("./refresh-ABCDEFGH.js");\n' });
    expect(missing.code).toBe(1);
    expect(missing.output).toContain('no file of dist/ loads the PostgreSQL driver');
    const hot = check({ ...good, 'hot-full.cjs': `var pg = require("pg");\n${goodFull}` });
    expect(hot.code).toBe(1);
    expect(hot.output).toContain('reaches the PostgreSQL driver');
  });

  it('refuses import() in hot-full.cjs (run from a code cache, where Node 20 refuses it): a package comes through __hhImportEsm, from the allowed list', () => {
    expect(check({ ...good, 'hot-full.cjs': `const c = () => __hhImportEsm("chalk");\n${goodFull}` }).code).toBe(0);
    const direct = check({ ...good, 'hot-full.cjs': `const c = () => import("chalk");\n${goodFull}` });
    expect(direct.code).toBe(1);
    expect(direct.output).toContain('hot-full.cjs has import() (chalk)');
    const other = check({ ...good, 'hot-full.cjs': `const o = () => __hhImportEsm("open");\n${goodFull}` });
    expect(other.code).toBe(1);
    expect(other.output).toContain('hot-full.cjs imports open');
  });

  it('lets hot-full.cjs, and only it, require node:http and node:https', () => {
    for (const line of ['var h = require("node:http");', 'var s = require("node:https");']) {
      expect(check({ ...good, 'hot-full.cjs': `${line}\n${goodFull}` }).code, `hot-full.cjs: ${line}`).toBe(0);
      const { code, output } = check({ ...good, 'main.cjs': `${line}\n${goodMain}` });
      expect(code, `main.cjs: ${line}`).toBe(1);
      expect(output).toMatch(/main\.cjs requires node:https?\b/);
    }
  });

  it('fails when a hot command, through commander, reaches conf, execa, open or qrcode', () => {
    const { code, output } = check({
      ...good,
      'refresh-ABCDEFGH.js': 'import { s } from "./chunk-XYZ.js";\n',
      'chunk-XYZ.js': 'import Conf from "conf";\nexport const s = 1;\n',
    });
    expect(code).toBe(1);
    expect(output).toMatch(/refresh reaches conf at start-up/);
  });

  it('fails when main.cjs carries code of the token store\'s write side or the lock (an init call into a shared module is fine)', () => {
    const initOnly = check({ ...good, 'main.cjs': `${goodMain}// src/token/write.ts\ninit_output();\n\n// src/token/read.ts\nfunction readToken() {}\n` });
    expect(initOnly.code, initOnly.output).toBe(0);
    for (const source of ['src/token/write.ts', 'src/token/reservation.ts', 'src/lock/lock.ts', 'src/token/signal-guard.ts', 'src/hh/error-table.ts']) {
      const { code, output } = check({ ...good, 'main.cjs': `${goodMain}// ${source}\ninit_output();\nvar x = class {};\n` });
      expect(code, source).toBe(1);
      expect(output).toContain(`main.cjs carries code of ${source}`);
    }
  });

  it('fails when a hot file bundles a package it should not (main.cjs: none; hot-full.cjs: ofetch and its helpers)', () => {
    for (const [file, pkg] of [['main.cjs', 'ofetch'], ['hot-full.cjs', 'qrcode'], ['hot-full.cjs', 'node-fetch-native']] as const) {
      const { code, output } = check({ ...good, [file]: `// node_modules/${pkg}/lib/index.js\n${good[file]}` });
      expect(code).toBe(1);
      expect(output).toContain(`${file} bundles ${pkg}`);
    }
  });
});
