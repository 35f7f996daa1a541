import type { GlobalOptions } from '../cli/global-options';
import { existsSync } from 'node:fs';
import { loadConfig, SETTINGS, type SettingName } from '../config/config';
import { configError, usageError } from '../errors';
import { log, mask, result } from '../output';
import { confFileEnv, openConfFile } from '../config/conf-files';
import { systemEnvFilePath } from '../config/env-file';
import { effectiveSettings, hasContact, isSecret, savedSettingsFile, settingForKey, validateSettingValue, type EffectiveSetting } from '../config/setting-values';
import { readStdinLine } from '../stdin';
import { USER_AGENT_ADVICE } from '../hh/user-agent';

/**
 * `hh-oauth config set|get|unset|list`: defaults saved in `$HH_CONFIG_DIR/config.json`
 * (written with conf, 0600 in 0700), the lowest layer below flags, the environment, the
 * --env-file and the system settings file. config.ts reads that file directly, so the hot
 * path never loads conf.
 */
type Saved = Record<string, string>;

function savedFile(opts: GlobalOptions): string {
  return savedSettingsFile(confFileEnv(opts)) ?? '(no HOME and no HH_CONFIG_DIR)';
}

async function readValue(name: SettingName, value: string | undefined): Promise<string> {
  const key = SETTINGS[name].key;
  if (isSecret(name)) {
    if (value !== undefined && value !== '-') {
      throw usageError(
        `refusing to take the ${key} from the command line: every user on this machine can read a command's arguments (ps, /proc), and the shell keeps them in its history`,
        `pipe it on stdin instead: \`hh-oauth config set ${key} < secret.txt\` (or run it on a terminal and paste it); the value you typed may be in your shell history`,
      );
    }
    return (await readStdinLine(`Paste the ${key} and press Enter: `)).trim();
  }
  if (value === undefined) throw usageError(`no value given for ${key}`, `run \`hh-oauth config set ${key} VALUE\`, or \`… ${key} -\` to read it from stdin`);
  return value === '-' ? (await readStdinLine(`${key}: `)).trim() : value;
}

export async function configSet(key: string, value: string | undefined, opts: GlobalOptions): Promise<void> {
  const name = settingForKey(key);
  const spec = SETTINGS[name];
  const saved = validateSettingValue(name, await readValue(name, value));
  if (name === 'HH_USER_AGENT' && !hasContact(saved)) {
    log.warn(`this User-Agent has no contact; hh.ru asks for ${USER_AGENT_ADVICE}`);
  }

  const file = await openConfFile<Saved>('config', confFileEnv(opts));
  file.set(spec.key, saved);
  const shown = isSecret(name) ? mask(saved) : saved;
  log.info(`saved ${spec.key} = ${shown} in ${file.path}`);

  // Say so when the saved value will not be used: a higher layer wins.
  const effective = loadConfig(opts).get(name);
  if (effective && effective.origin !== 'config') {
    log.warn(`${name} from the ${ORIGIN_NAMES[effective.origin]} overrides the saved value`);
  }
  result({ key: spec.key, env: name, value: shown, config_file: file.path });
}

export async function configGet(key: string, opts: GlobalOptions): Promise<void> {
  const name = settingForKey(key);
  const config = loadConfig(opts);
  const entry = effectiveSettings(config)[SETTINGS[name].key]!;
  if (entry.problem) {
    // The secret's file could not be used: the error itself says why and what fixes it.
    if (name === 'HH_CLIENT_SECRET') config.clientSecret('config get');
    throw configError(entry.problem, `check ${entry.via ?? 'the secret file'}`);
  }
  if (entry.value === null) {
    throw configError(`${SETTINGS[name].key} is not set`, `run \`hh-oauth config set ${SETTINGS[name].key} …\` or export ${name}`);
  }
  result({ key: SETTINGS[name].key, ...entry }, entry.value);
}

export async function configUnset(key: string, opts: GlobalOptions): Promise<void> {
  const name = settingForKey(key);
  const spec = SETTINGS[name];
  const file = savedFile(opts);
  let removed = false;
  if (existsSync(file)) {
    const saved = await openConfFile<Saved>('config', confFileEnv(opts));
    removed = saved.has(spec.key);
    if (removed) saved.delete(spec.key);
  }
  log.info(removed ? `removed ${spec.key} from ${file}` : `${spec.key} was not saved in ${file}; nothing to do`);
  const still = loadConfig(opts).get(name);
  if (still) log.info(`${name} is still set by the ${ORIGIN_NAMES[still.origin]}`);
  result({ key: spec.key, status: removed ? 'removed' : 'not_saved', config_file: file });
}

/** How a message names each origin. */
const ORIGIN_NAMES = { flag: 'flag', env: 'environment', 'env-file': '--env-file', 'system-file': 'system settings file', config: 'saved settings', default: 'built-in default' } as const;

export async function configList(opts: GlobalOptions): Promise<void> {
  const config = loadConfig(opts);
  const settings = effectiveSettings(config);
  const file = savedFile(opts);
  const system = systemEnvFilePath(config.env) ?? null;
  const systemNote = system === null ? 'none (HH_SYSTEM_ENV_FILE is empty)' : `${system}${config.files.systemFile ? '' : existsSync(system) ? ' (not readable here)' : ' (none)'}`;
  log.info(`saved settings: ${file}${existsSync(file) ? '' : ' (none saved yet)'}; system settings file: ${systemNote}; precedence: flag > env > --env-file > system file > saved > default`);
  result({ config_file: file, system_file: system, settings }, table(settings));
}

function table(settings: Record<string, EffectiveSetting>): string {
  const rows = Object.entries(settings).map(([key, e]) => [
    key,
    e.problem ? '(unusable)' : e.value ?? '(not set)',
    [e.origin ?? '', e.via ? `via ${e.via}` : '', e.problem ?? ''].filter(Boolean).join(', '),
  ]);
  const width = (i: number) => Math.max(...rows.map((r) => r[i]!.length));
  const [w0, w1] = [width(0), Math.min(width(1), 60)];
  return rows.map(([k, v, o]) => `${k!.padEnd(w0)}  ${v!.padEnd(w1)}  ${o}`.trimEnd()).join('\n');
}
