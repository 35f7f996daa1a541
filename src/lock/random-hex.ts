/**
 * A random-looking hex string for temporary file names: the lock's own temp file, which is
 * created with O_EXCL in the token's directory (which no one else may write, trusted-dir.ts),
 * so the name needs to be unlikely to collide, not unpredictable. Math.random serves: node:crypto
 * would cost a due refresh several milliseconds of start-up (about 15 internal modules).
 */
export async function randomHex(bytes: number): Promise<string> {
  let hex = '';
  while (hex.length < bytes * 2) hex += Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, '0');
  return hex.slice(0, bytes * 2);
}
