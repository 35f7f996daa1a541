import type { GlobalOptions } from '../cli/global-options';
import { loadConfig, SETTINGS, type ProfileSettings } from '../config/config';
import { usageError } from '../errors';
import { closest } from '../suggest';
import { log, result } from '../output';
import { confFileEnv, openConfFile } from '../config/conf-files';

/**
 * `hh-oauth [--profile NAME] profiles set|unset KEY [VALUE]`: settings saved for one
 * profile only, under "profiles" in the saved config.json (the same file as
 * `hh-oauth config set`, whose top-level values apply to every profile).
 */
const PER_PROFILE = new Map(
  Object.entries(SETTINGS)
    .filter(([, spec]) => 'perProfile' in spec && spec.perProfile)
    .map(([name, spec]) => [spec.key, name as keyof typeof SETTINGS]),
);

function settingFor(key: string) {
  const name = PER_PROFILE.get(key);
  if (name) return name;
  const keys = [...PER_PROFILE.keys()];
  const valid = `keys saved per profile: ${keys.join(', ')}`;
  const guess = closest(key, keys);
  throw usageError(`"${key.slice(0, 64)}" cannot be saved per profile`, guess === undefined ? valid : `did you mean ${guess}? ${valid}`);
}

export async function set(key: string, value: string, opts: GlobalOptions): Promise<void> {
  const name = settingFor(key);
  const config = loadConfig(opts, { [name]: value });
  // The value is checked the way a --manager-account flag would be: a bad one is a usage error.
  if (name === 'HH_MANAGER_ACCOUNT_ID') config.managerAccount();
  const profile = config.profileName();
  await update(opts, profile, (settings) => ({ ...settings, [key]: value }));
  log.info(`saved ${key}=${value} for profile ${profile}`);
  result({ profile, key, value });
}

export async function unset(key: string, opts: GlobalOptions): Promise<void> {
  settingFor(key);
  const profile = loadConfig(opts).profileName();
  await update(opts, profile, ({ [key]: _gone, ...rest }) => rest);
  log.info(`removed ${key} from profile ${profile}`);
  result({ profile, key, value: null });
}

/** In the config.json that loadConfig reads for these options (an --env-file may move it, as for `config set`). */
async function update(opts: GlobalOptions, profile: string, change: (settings: Record<string, string>) => Record<string, string>): Promise<void> {
  const file = await openConfFile<{ profiles: ProfileSettings }>('config', confFileEnv(opts));
  const all: ProfileSettings = { ...(file.get('profiles') ?? {}) };
  const next = change(all[profile] ?? {});
  if (Object.keys(next).length === 0) delete all[profile];
  else all[profile] = next;
  file.set('profiles', all);
}
