import { readFileSync } from 'node:fs';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until every token the sandbox issued so far (lifetime `seconds`) has expired. */
export const waitForExpiry = (seconds: number) => sleep(seconds * 1000 + 100);

/** Waits until the access token in this token file has expired: its expires_at, plus a margin. */
export async function waitUntilExpired(tokenFile: string, marginMs = 100): Promise<void> {
  const { expires_at } = JSON.parse(readFileSync(tokenFile, 'utf8')) as { expires_at: string };
  await sleep(Math.max(0, Date.parse(expires_at) - Date.now() + marginMs));
}
