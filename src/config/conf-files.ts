import { chmod } from 'node:fs/promises';
import type Conf from 'conf';
import { configDir } from './config';
import { configError } from '../errors';

/**
 * Small persistent stores (saved settings, pending authorizations) written with conf,
 * mode 0600 in a 0700 directory. conf is loaded only by the commands that write:
 * it is slow to import, and the hot path reads config.json directly (config.ts).
 */
export async function openStore<T extends Record<string, unknown>>(name: string, env: NodeJS.ProcessEnv = process.env): Promise<Conf<T>> {
  const dir = configDir(env);
  if (!dir) throw configError('cannot find a place for saved settings: HOME is not set', 'set HH_CONFIG_DIR to a directory this user owns');
  const { default: ConfClass } = await import('conf');
  let store: Conf<T>;
  try {
    store = new ConfClass<T>({ cwd: dir, configName: name, configFileMode: 0o600, clearInvalidConfig: false });
  } catch (err) {
    throw configError(`cannot open ${dir}/${name}.json: ${(err as Error).message}`, `fix or remove ${dir}/${name}.json`);
  }
  // conf creates its directory 0755; nothing in it is for other users.
  await chmod(dir, 0o700).catch(() => undefined);
  return store;
}
