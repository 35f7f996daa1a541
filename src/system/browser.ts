import { spawn } from 'node:child_process';
import { log } from '../output';
import { trustedProgram } from './file-trust';
import { childEnv } from './host-tools';

/**
 * Opens a URL (or login's private page, a file) in the operator's browser, where this
 * machine has a display (authorize-url --open, login). xdg-open (macOS: open) is started
 * here, not through the `open` package: that package gives it our whole environment,
 * HH_CLIENT_SECRET included, and the browser it starts would keep it; and it prefers a
 * copy of xdg-open of its own over the one on PATH. Like every program hh-oauth runs, the opener must be trusted (file-trust.ts).
 */
export async function openBrowser(url: string): Promise<boolean> {
  // xdg-open reports success on a headless server even though nothing opens.
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    log.info('no display here (SSH?): open the URL on any machine with a browser');
    return false;
  }
  if (process.platform === 'win32') {
    // Not a platform the service runs on; `open` knows its ways (PowerShell, WSL).
    const { default: open } = await import('open');
    return open(url).then(
      () => true,
      (err: Error) => (log.warn(`could not open a browser: ${err.message}`), false),
    );
  }
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
  const env = childEnv();
  const program = trustedProgram('the browser opener', opener, env.PATH);
  if (program === undefined) {
    log.warn(`could not open a browser: ${opener} is not installed; open the URL by hand`);
    return false;
  }
  // Its argv is readable by every local user in /proc/PID/cmdline, and so is the browser's: login gives it a private file's path (login/browser-page.ts), never its link.
  return new Promise<boolean>((resolve) => {
    // Detached, without our stdio: the opener (and a browser it starts) may outlive us.
    const child = spawn(program, [url], { argv0: opener, detached: true, stdio: 'ignore', env });
    child.once('error', (err) => {
      log.warn(`could not open a browser: ${err.message}`);
      resolve(false);
    });
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}
