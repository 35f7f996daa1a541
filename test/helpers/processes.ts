import { spawn } from 'node:child_process';
import { processStartTime } from '../../src/lock/process';

/** The pid and start time of a process that has exited (its pid is not reused this quickly): the owner of a stale lock. */
export async function deadProcess(): Promise<{ pid: number; start: string | undefined }> {
  const child = spawn('sleep', ['5']);
  const start = processStartTime(child.pid!);
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  return { pid: child.pid!, start };
}
