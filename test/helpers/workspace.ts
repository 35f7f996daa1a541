import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index';
import { captured, runCli, type RunResult } from './cli';
import { leakReport, trackSecrets } from './secrets';

export const REDIRECT_URI = 'http://127.0.0.1:8400/callback';
export const USER_AGENT = 'hh-oauth-tests/1.0 (tests@example.com)';

export interface Harness {
  sandbox: Sandbox;
  clientId: string;
  /** A fresh directory per test: token file and saved settings live there. */
  dir: string;
  tokenFile: string;
  env(extra?: Record<string, string | undefined>): Record<string, string | undefined>;
  run(args: string[], extra?: { env?: Record<string, string | undefined>; input?: string }): Promise<RunResult>;
  /** Drives the browser part: follows the authorization URL and returns the callback URL. */
  authorize(args?: string[]): Promise<string>;
  /** authorize-url + browser + exchange: leaves a stored token. */
  login(): Promise<void>;
}

/**
 * One sandbox per test file (with a random client secret, so the leak scan cannot
 * be fooled by a well-known value), a fresh workspace per test, and a leak scan of
 * everything the CLI printed against everything the sandbox issued.
 */
export function useHarness(options: SandboxOptions = {}, setup: { redirectUri?: string } = {}): Harness {
  const redirectUri = setup.redirectUri ?? REDIRECT_URI;
  const clientId = `client-${randomBytes(4).toString('hex')}`;
  const clientSecret = randomBytes(24).toString('hex');
  const dirs: string[] = [];
  const h = {} as Harness;

  beforeAll(async () => {
    h.sandbox = await startSandbox({ clients: [{ clientId, clientSecret, redirectUri }], ...options });
    const sandbox = h.sandbox;
    trackSecrets(() => sandbox.issued());
  });
  afterAll(async () => {
    const leaks = leakReport(captured);
    await h.sandbox.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    expect(leaks).toEqual([]);
  });
  afterEach(() => h.sandbox.fault(null));

  h.clientId = clientId;
  // A new workspace for each test, created lazily on first use within it.
  let current: string | undefined;
  Object.defineProperty(h, 'dir', { get: () => workspace() });
  Object.defineProperty(h, 'tokenFile', { get: () => join(workspace(), 'state', 'token.json') });
  afterEach(() => {
    current = undefined;
  });
  const workspace = () => {
    if (!current) {
      current = mkdtempSync(join(tmpdir(), 'hh-oauth-test-'));
      dirs.push(current);
    }
    return current;
  };
  h.env = (extra = {}) => {
    const dir = workspace();
    return {
      PATH: process.env.PATH,
      HOME: dir,
      ...h.sandbox.env,
      HH_CLIENT_ID: clientId,
      HH_CLIENT_SECRET: clientSecret,
      HH_REDIRECT_URI: redirectUri,
      HH_USER_AGENT: USER_AGENT,
      HH_TOKEN_FILE: join(dir, 'state', 'token.json'),
      HH_CONFIG_DIR: join(dir, 'config'),
      // Not this machine's /etc/hh-oauth/hh-oauth.env: a path in the workspace, absent unless a test writes it.
      HH_SYSTEM_ENV_FILE: join(dir, 'system.env'),
      HH_HTTP_RETRIES: '0',
      ...extra,
    };
  };
  h.run = (args, extra = {}) => runCli(args, { env: h.env(extra.env), input: extra.input });
  h.authorize = async (args = []) => {
    const out = await h.run(['authorize-url', ...args]);
    if (out.code !== 0) throw new Error(`authorize-url failed: ${out.stderr}`);
    const response = await fetch(out.stdout.trim(), { redirect: 'manual', headers: { 'User-Agent': 'browser/1.0' } });
    const location = response.headers.get('location');
    if (!location) throw new Error(`no redirect from the sandbox: HTTP ${response.status}`);
    return location;
  };
  h.login = async () => {
    const callback = await h.authorize();
    const out = await h.run(['exchange', '-'], { input: callback });
    if (out.code !== 0) throw new Error(`exchange failed: ${out.stderr}`);
  };
  return h;
}
