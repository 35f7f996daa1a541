import { createInterface } from 'node:readline';

/**
 * One line from stdin, after a prompt on a terminal: for values that must not travel in
 * argv (codes, secrets) and for a yes/no. It does not hide what is typed.
 */
export async function readStdinLine(prompt: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(prompt);
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of rl) return line;
    return '';
  } finally {
    rl.close();
  }
}
