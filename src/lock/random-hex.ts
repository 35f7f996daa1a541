/**
 * A random-looking hex string for temporary file names: the lock's own temp file, created
 * with O_EXCL (no link followed) and mode 0600, holding only its owner record. It need not be
 * unpredictable: the token's directory is one others cannot write, or a sticky one such as
 * /tmp (trusted-dir.ts), where whoever could plant a predicted temp name (the lock stops at
 * exit 7, nothing sent) can as well plant the lock itself, to the same effect. Math.random
 * (seeded afresh in every process, snapshot or not) serves: node:crypto would cost a due
 * refresh several milliseconds of start-up (about 15 internal modules).
 */
export async function randomHex(bytes: number): Promise<string> {
  let hex = '';
  while (hex.length < bytes * 2) hex += Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, '0');
  return hex.slice(0, bytes * 2);
}
