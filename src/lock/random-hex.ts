/**
 * A random hex string for temporary file names. node:crypto is loaded on first use
 * only: it takes several milliseconds to initialise, and the common run (the token
 * is still valid) writes nothing and should not pay for it.
 */
export async function randomHex(bytes: number): Promise<string> {
  const { randomBytes } = await import('node:crypto');
  return randomBytes(bytes).toString('hex');
}
