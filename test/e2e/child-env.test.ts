import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findLeaks, quickLogin, sleep, useHarness } from '../helpers';

/**
 * The secret inherited by children (issue 14, item 12): every program hh-oauth starts
 * (systemctl, nginx, getent, xdg-open and the browser it starts, the rotation hook) gets
 * hh-oauth's environment without HH_CLIENT_SECRET. Each stand-in below is a real program
 * on PATH that writes down the environment the kernel gave it (/proc/self/environ).
 */
const h = useHarness({ expiresIn: 1 });

/** Stand-ins for the host's tools that record their environment, then answer like the real ones would not mind. */
function tools(dir: string): { env: Record<string, string>; seen: (name: string) => Record<string, string> | undefined } {
  const bin = join(dir, 'bin');
  const out = join(dir, 'seen');
  mkdirSync(bin, { mode: 0o755 });
  mkdirSync(out, { mode: 0o700 });
  const record = (name: string) => `tr '\\0' '\\n' < /proc/$$/environ > '${join(out, name)}'`;
  const tool = (name: string, rest: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${record(name)}\n${rest}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  tool('systemctl', 'exit 1');
  tool('nginx', 'echo "nginx: [emerg] no config here" >&2; exit 1');
  tool('getent', 'exit 2');
  // xdg-open starts "the browser", as the real one would, and returns at once.
  tool('browser', 'exit 0');
  tool('xdg-open', `'${join(bin, 'browser')}' "$1" &\nexit 0`);
  tool('hook', 'exit 0');
  return {
    env: { PATH: `${bin}:${process.env.PATH}` },
    seen: (name) => {
      const file = join(out, name);
      if (!existsSync(file)) return undefined;
      const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
      return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    },
  };
}

async function waitFor(test: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !test(); i++) await sleep(100);
}

describe('every child gets an environment without the client secret', () => {
  it('systemctl (status, doctor), nginx (doctor), getent (install-units), xdg-open and its browser (authorize-url --open), the hook', async () => {
    h.env();
    const dir = h.dir;
    const t = tools(dir);
    const secret = h.env().HH_CLIENT_SECRET!;
    const env = { ...t.env, HH_ON_REFRESH: join(dir, 'bin', 'hook'), DISPLAY: ':99' };

    await h.run(['status'], { env });
    writeFileSync(join(dir, 'site.conf'), 'server { listen 127.0.0.1:8399; }\n');
    await h.run(['doctor', '--no-refresh', '--nginx-conf', join(dir, 'site.conf')], { env });
    await h.run(['install-units', '--dry-run', '--json'], { env });
    const opened = await h.run(['authorize-url', '--open'], { env });
    expect(opened.code, opened.stderr).toBe(0);
    await waitFor(() => t.seen('browser') !== undefined);
    await quickLogin(h, env);

    for (const name of ['systemctl', 'nginx', 'getent', 'xdg-open', 'browser', 'hook']) {
      const seen = t.seen(name);
      expect(seen, `${name} was not run`).toBeDefined();
      expect(seen, name).not.toHaveProperty('HH_CLIENT_SECRET');
      // The rest of the environment is passed on: a tool needs PATH, the browser DISPLAY.
      expect(seen!.PATH, name).toBe(t.env.PATH);
      expect(findLeaks([readFileSync(join(dir, 'seen', name), 'utf8')], [secret]), name).toEqual([]);
    }
    expect(t.seen('browser')!.DISPLAY).toBe(':99');
  });
});
