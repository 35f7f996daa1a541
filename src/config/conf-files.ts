import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import type Conf from 'conf';
import { configDir, parseSavedSettings, SAVED_SETTINGS_MAX_BYTES } from './config';
import { readEnvFile, readSystemEnvFile } from './env-file';
import { configError, errnoCode } from '../errors';
import { assertTrustedDirectory, readTrustedFile } from '../system/file-trust';

/**
 * The small files hh-oauth saves with conf in the configuration directory: config.json
 * (`config set`, `profiles set`) and pending.json (authorizations started, not yet
 * exchanged), mode 0600 in a 0700 directory. conf is loaded only by the commands that
 * write: it is slow to import, and the hot path reads config.json directly (config.ts).
 *
 * Before conf sees a file, hh-oauth reads it itself: the directory and the file must be
 * trusted (file-trust.ts; a pending authorization written by someone else would be taken
 * for ours), and a file that is not valid JSON is reported without a byte of it (conf
 * would pass on V8's error, which quotes the text around the mistake: the client secret).
 */
export async function openConfFile<T extends Record<string, unknown>>(name: string, env: NodeJS.ProcessEnv = process.env): Promise<Conf<T>> {
  const dir = configDir(env);
  if (!dir) throw configError('cannot find a place for saved settings: HOME is not set', 'set HH_CONFIG_DIR to a directory this user owns');
  assertTrustedDirectory('the configuration directory', dir);
  const path = join(dir, `${name}.json`);
  const what = name === 'config' ? 'saved settings' : 'the configuration file';
  const read = readTrustedFile(path, { what: name === 'config' ? 'the saved settings' : what, maxBytes: SAVED_SETTINGS_MAX_BYTES, optional: true });
  if (read && read.text.trim() !== '') parseSavedSettings(read.text, path, what);
  const { default: ConfClass } = await import('conf');
  let file: Conf<T>;
  try {
    file = new ConfClass<T>({ cwd: dir, configName: name, configFileMode: 0o600, clearInvalidConfig: false });
  } catch (err) {
    // Never err.message: for a file that changed since it was read, it may quote it.
    throw configError(`cannot open ${path} (${errnoCode(err) ?? (err as Error).name})`, `fix or remove ${path}`);
  }
  // conf creates its directory 0755; nothing in it is for other users.
  await chmod(dir, 0o700).catch(() => undefined);
  return file;
}

/**
 * The environment for openConfFile, with HH_CONFIG_DIR resolved the way loadConfig
 * resolves it (an --env-file or the system file may set it), so that what `config set`
 * and `profiles set` write is the file that loadConfig reads.
 */
export function confFileEnv(opts: { envFile?: string }, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const envFile = opts.envFile ? readEnvFile(opts.envFile).values : {};
  const dir = configDir(env, envFile, readSystemEnvFile(env)?.values);
  return dir ? { ...env, HH_CONFIG_DIR: dir } : env;
}
