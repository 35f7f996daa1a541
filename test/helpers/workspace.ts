import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index';
import { captured, runCli, type RunResult } from './cli';
import { REDIRECT_URI, USER_AGENT } from './constants';
import { browserRedirect } from './grants';
import { leakReport, trackSecrets } from './secrets';
import { waitUntilExpired } from './time';

export interface Harness {
  sandbox: Sandbox;
  clientId: string;
  /** The redirect URI registered for the client (REDIRECT_URI unless the file chose another). */
  redirectUri: string;
  /** A fresh directory per test, made on first use within it: token file and saved settings live there. */
  dir: string;
  tokenFile: string;
  /** Where `--profile name` keeps its token file in this test's workspace. */
  profileFile(name: string): string;
  env(extra?: Record<string, string | undefined>): Record<string, string | undefined>;
  run(args: string[], extra?: { env?: Record<string, string | undefined>; input?: string }): Promise<RunResult>;
  /** Drives the browser part: follows the authorization URL and returns the callback URL. */
  authorize(args?: string[]): Promise<string>;
  /** authorize-url + browser + exchange: leaves a stored token. */
  login(): Promise<void>;
}

/** The environment of a CLI run against a sandbox, for a client, with the token file and saved settings in `home`. */
export function cliEnv(opts: { home: string; sandbox: Sandbox; clientId: string; clientSecret: string; redirectUri: string; tokenFile: string }): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOME: opts.home,
    ...opts.sandbox.env,
    HH_CLIENT_ID: opts.clientId,
    HH_CLIENT_SECRET: opts.clientSecret,
    HH_REDIRECT_URI: opts.redirectUri,
    HH_USER_AGENT: USER_AGENT,
    HH_TOKEN_FILE: opts.tokenFile,
    HH_CONFIG_DIR: join(opts.home, 'config'),
    // Not this machine's /etc/hh-oauth/hh-oauth.env: a path in the workspace, absent unless a test writes it.
    HH_SYSTEM_ENV_FILE: join(opts.home, 'system.env'),
    HH_HTTP_RETRIES: '0',
    // Unpaced: a test about pacing sets it; the rest must not wait (refresh --all over many profiles).
    HH_RATE_LIMIT: '0',
  };
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
  h.redirectUri = redirectUri;
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
  h.profileFile = (name) => join(workspace(), 'state', 'profiles', `${name}.json`);
  h.env = (extra = {}) => ({ ...cliEnv({ home: workspace(), sandbox: h.sandbox, clientId, clientSecret, redirectUri, tokenFile: h.tokenFile }), ...extra });
  h.run = (args, extra = {}) => runCli(args, { env: h.env(extra.env), input: extra.input });
  h.authorize = async (args = []) => {
    const out = await h.run(['authorize-url', ...args]);
    if (out.code !== 0) throw new Error(`authorize-url failed: ${out.stderr}`);
    return browserRedirect(out.stdout.trim());
  };
  h.login = async () => {
    const callback = await h.authorize();
    const out = await h.run(['exchange', '-'], { input: callback });
    if (out.code !== 0) throw new Error(`exchange failed: ${out.stderr}`);
  };
  return h;
}

/** `hh-oauth ARGS` whose stdout is a token on purpose: kept out of the leak scan, stderr still scanned. */
export function runSecret(h: Harness, args: string[], env: Record<string, string | undefined> = {}): Promise<RunResult> {
  return runCli(args, { env: h.env(env), secretStdout: true });
}

/** A stored pair whose access token has expired (its refresh token unspent); returns the file's bytes. */
export async function loginExpired(h: Harness): Promise<Buffer> {
  await h.login();
  await waitUntilExpired(h.tokenFile);
  return readFileSync(h.tokenFile);
}
