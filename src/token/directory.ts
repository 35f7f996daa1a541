import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { errnoCode, storeError } from '../errors';
import { accessHint } from './hints';

/** The token file's directory: created private (0700) when missing. */
export async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw storeError(`cannot create the token directory ${dir} (${errnoCode(err) ?? 'error'})`, accessHint(errnoCode(err)), err);
  }
}

/** After a rename or removal in dir: a rename is durable only once its directory is synced. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY).catch(() => undefined);
  await handle?.sync().catch(() => undefined);
  await handle?.close();
}
