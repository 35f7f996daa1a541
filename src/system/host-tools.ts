import { execa } from 'execa';

/**
 * The host's own tools (systemctl, nginx, useradd, systemd-analyze), run with execa,
 * never through a shell. A missing tool is an answer, not an exception: install-units
 * reports it with the command to run by hand.
 */
export interface ToolRun {
  command: string;
  status: 'ok' | 'failed' | 'missing';
  exitCode?: number;
  stdout: string;
  stderr: string;
}

export async function runTool(file: string, args: string[], timeoutMs = 60_000): Promise<ToolRun> {
  const command = [file, ...args].join(' ');
  const r = await execa(file, args, { reject: false, timeout: timeoutMs, stdin: 'ignore', env: { LC_ALL: 'C' } });
  if (r.failed && r.exitCode === undefined) {
    const missing = (r as { code?: string }).code === 'ENOENT';
    return { command, status: missing ? 'missing' : 'failed', stdout: '', stderr: missing ? `${file}: not found on PATH` : (r.message ?? '') };
  }
  return {
    command,
    status: r.exitCode === 0 ? 'ok' : 'failed',
    exitCode: r.exitCode,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
  };
}

/** First meaningful line of a tool's complaint, for a one-line message. */
export function firstLine(run: ToolRun): string {
  const line = `${run.stderr}\n${run.stdout}`.split('\n').map((l) => l.trim()).find((l) => l !== '');
  return line ?? (run.exitCode === undefined ? 'failed' : `exit code ${run.exitCode}`);
}

/** `getent` knows NSS accounts too; without it, the files. */
export async function accountExists(db: 'passwd' | 'group', name: string, lookupFile: (db: 'passwd' | 'group', n: string) => number | undefined): Promise<boolean> {
  const r = await runTool('getent', [db, name]);
  if (r.status === 'missing') return lookupFile(db, name) !== undefined;
  return r.status === 'ok';
}

/** systemd's own parser for calendar specs; null when systemd-analyze is not installed. */
export async function systemdCalendarCheck(spec: string): Promise<{ ok: boolean; message: string } | null> {
  const r = await runTool('systemd-analyze', ['calendar', '--', spec], 15_000);
  if (r.status === 'missing') return null;
  return { ok: r.status === 'ok', message: firstLine(r) };
}
