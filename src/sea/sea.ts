/**
 * The standalone binary (`npm run package`, docs/packaging.md) is a Node single executable
 * application: scripts/package.mjs builds its bundles with __HH_SEA__ defined true, and
 * every other build (dist/, vitest) leaves it undefined, so the code below is never reached
 * outside the binary.
 */
declare const __HH_SEA__: boolean | undefined;

export const IN_SEA: boolean = typeof __HH_SEA__ !== 'undefined' && __HH_SEA__;

/** A file that scripts/package.mjs embedded in the binary (sea-config.json "assets"). */
export function seaAsset(name: string): string {
  // node:sea exists only in the binary's runtime (and Node ≥ 20.12); required here, never at start-up.
  const sea = require('node:sea') as { getAsset(key: string, encoding: string): string };
  return sea.getAsset(name, 'utf8');
}

/**
 * Runs an embedded CommonJS bundle and returns its exports: how the binary loads what
 * dist/ keeps in separate files (the commander program, the full hot commands), only when
 * a command needs it. Every dependency is bundled in, so its require() sees only built-ins,
 * which is all the binary's own require can load.
 */
export function loadSeaBundle<T>(name: string): T {
  const { compileFunction } = require('node:vm') as typeof import('node:vm');
  const filename = `${process.execPath}/${name}`;
  const run = compileFunction(seaAsset(name), ['exports', 'require', 'module', '__filename', '__dirname'], { filename });
  const module = { exports: {} as T };
  run.call(module.exports, module.exports, require, module, filename, process.execPath);
  return module.exports;
}
