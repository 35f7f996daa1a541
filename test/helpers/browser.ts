import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { REPO_ROOT } from './files';
import { findTool } from './tools';

/**
 * A real headless Chromium (Debian's `chromium` package) driven by puppeteer-core, which
 * never downloads a browser of its own. One per suite: starting one costs about a second.
 */
export const CHROMIUM = findTool('chromium');

/**
 * The flags: headless as root (no sandbox), and nothing that phones home. Without the
 * background-networking ones Chromium keeps opening connections that a closed network
 * refuses, which slows every page; a new empty profile each time keeps runs apart.
 */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface HeadlessBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function startChromium(): Promise<HeadlessBrowser> {
  if (!CHROMIUM) throw new Error('chromium is not installed (apt-get install chromium)');
  // Loaded here, not at the top: every test file imports the helpers, and only this suite needs a browser.
  const { default: puppeteer } = await import('puppeteer-core');
  const profile = mkdtempSync(join(tmpdir(), 'hh-oauth-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: FLAGS,
    timeout: 30_000,
  });
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => browser.process()?.kill('SIGKILL'));
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** test/artifacts/NAME (ignored by git), the directory created: where screenshots go. */
export function artifactPath(name: string): string {
  const dir = join(REPO_ROOT, 'test', 'artifacts');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
