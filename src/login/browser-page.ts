import { closeSync, lstatSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The page `login` hands the browser opener instead of the start link. The opener's argv,
 * and the browser's, are readable by every local user (/proc/PID/cmdline), and the link's
 * nonce is what lets a browser start this login: on a command line a local user could
 * fetch it first and have their own hh.ru account's code exchanged. A path on a command
 * line gives nothing away: the file sits in a directory only this user can enter and
 * sends the browser on with a meta refresh (no script), which browsers follow from a
 * file:// page to http(s).
 */
export interface BrowserPage {
  /** The file to give the opener. */
  readonly path: string;
  /** Deletes the file and its directory; safe to call more than once. */
  remove(): void;
}

export function writeBrowserPage(link: string, env: NodeJS.ProcessEnv = process.env): BrowserPage {
  // mkdtemp makes the directory 0700; its base only has to exist.
  const dir = mkdtempSync(join(privateBase(env) ?? tmpdir(), 'hh-oauth-login-'));
  const path = join(dir, 'open-login.html');
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // O_EXCL: a fresh file, never one that is already there; 0600 whatever the umask lets through.
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, pageHtml(link));
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    remove();
    throw err;
  }
  return { path, remove };
}

/** $XDG_RUNTIME_DIR when it is a real directory of ours that nobody else can enter (as systemd-logind makes it). */
function privateBase(env: NodeJS.ProcessEnv): string | undefined {
  const dir = env.XDG_RUNTIME_DIR;
  if (!dir || !dir.startsWith('/')) return undefined;
  try {
    const st = lstatSync(dir);
    const ours = process.getuid === undefined || st.uid === process.getuid();
    return st.isDirectory() && ours && (st.mode & 0o077) === 0 ? dir : undefined;
  } catch {
    return undefined;
  }
}

export function pageHtml(link: string): string {
  const href = escapeHtml(link);
  return (
    '<!doctype html>\n<html><head><meta charset="utf-8">\n' +
    '<meta name="referrer" content="no-referrer">\n' +
    `<meta http-equiv="refresh" content="0; url=${href}">\n` +
    '<title>hh-oauth: opening the login</title></head>\n' +
    `<body><p>Opening the hh-oauth login&hellip; If nothing happens, <a href="${href}">follow this link</a>.</p></body></html>\n`
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
