import { createInterface } from 'node:readline';

/** One line from stdin, for values that must not travel in argv (codes, secrets). */
export async function readSecretInput(prompt: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(prompt);
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of rl) return line;
    return '';
  } finally {
    rl.close();
  }
}
