import { chmod } from 'node:fs/promises';
import type Conf from 'conf';
import { configDir } from './config';
import { readEnvFile } from './env-file';
import { configError } from '../errors';

/**
 * The small files hh-oauth saves with conf in the configuration directory: config.json
 * (`config set`, `profiles set`) and pending.json (authorizations started, not yet
 * exchanged), mode 0600 in a 0700 directory. conf is loaded only by the commands that
 * write: it is slow to import, and the hot path reads config.json directly (config.ts).
 */
export async function openConfFile<T extends Record<string, unknown>>(name: string, env: NodeJS.ProcessEnv = process.env): Promise<Conf<T>> {
  const dir = configDir(env);
  if (!dir) throw configError('cannot find a place for saved settings: HOME is not set', 'set HH_CONFIG_DIR to a directory this user owns');
  const { default: ConfClass } = await import('conf');
  let file: Conf<T>;
  try {
    file = new ConfClass<T>({ cwd: dir, configName: name, configFileMode: 0o600, clearInvalidConfig: false });
  } catch (err) {
    throw configError(`cannot open ${dir}/${name}.json: ${(err as Error).message}`, `fix or remove ${dir}/${name}.json`);
  }
  // conf creates its directory 0755; nothing in it is for other users.
  await chmod(dir, 0o700).catch(() => undefined);
  return file;
}

/**
 * The environment for openConfFile, with HH_CONFIG_DIR resolved the way loadConfig
 * resolves it (an --env-file may set it), so that what `config set` and `profiles set`
 * write is the file that loadConfig reads.
 */
export function confFileEnv(opts: { envFile?: string }, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const envFile = opts.envFile ? readEnvFile(opts.envFile) : {};
  const dir = configDir(env, envFile);
  return dir ? { ...env, HH_CONFIG_DIR: dir } : env;
}
