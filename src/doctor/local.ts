import { lstat, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { numericSettingProblem, SETTINGS, type Config, type SettingName } from '../config/config';
import { cleartextProblem, isHttpUrl, redirectCleartextWarning } from '../config/urls';
import { systemEnvFilePath } from '../config/env-file';
import { formatDuration, isDue, secondsLeft } from '../token/expiry';
import { errnoCode, HhOauthError, REAUTHORIZE_HINT } from '../errors';
import { mask } from '../output';
import { hasContact } from '../config/setting-values';
import type { StoredToken } from '../token/read';
import { readUserToken, storeOf, userSlot } from '../lifecycle/stores';
import { nameInFile, primaryGroupInFile } from '../system/accounts';
import { tokenGroup } from '../token/ownership';
import { CREDENTIAL } from '../system/unit-names';
import { fail, failFrom, pass, type CheckResult } from './check';
import { USER_AGENT_ADVICE, USER_AGENT_FORM } from '../hh/user-agent';

/** Checks that need no network: the settings, the User-Agent, the token file and its permissions. */

const HH_HOSTS = /(^|\.)hh\.ru$/;

export function checkConfiguration(config: Config): CheckResult {
  const problems: string[] = [];
  const fixes: string[] = [];
  const found: string[] = [];
  const from = (name: SettingName) => config.get(name)?.origin;
  const setHint = (name: SettingName, example: string) => settingHint(config, name, example);

  const clientId = config.get('HH_CLIENT_ID');
  if (clientId) found.push(`client id ${clientId.value} (${clientId.origin})`);
  else {
    problems.push('HH_CLIENT_ID is not set');
    fixes.push(setHint('HH_CLIENT_ID', 'YOUR_CLIENT_ID'));
  }

  try {
    const secret = config.clientSecret('doctor');
    found.push(`secret ${mask(secret)} (${secretSource(config)})`);
    const exposed = config.secretExposure();
    if (exposed) {
      problems.push(exposed.message.replace(/; run `.*`$/, ''));
      fixes.push(exposed.fix);
    }
  } catch (err) {
    if (!(err instanceof HhOauthError)) throw err;
    problems.push(err.message.replace('; doctor needs it', ''));
    const system = systemEnvFilePath(config.env);
    fixes.push(process.geteuid?.() === 0 && system
      ? `put it in a root-only file (umask 077; printf '%s\\n' SECRET > /etc/hh-oauth/client-secret) and add HH_CLIENT_SECRET_FILE=/etc/hh-oauth/client-secret to ${system}; under systemd, LoadCredential=${CREDENTIAL}:…`
      : `hh-oauth config set client-secret < secret.txt, or HH_CLIENT_SECRET_FILE=/path, or LoadCredential=${CREDENTIAL}:… under systemd`);
  }

  const redirect = config.get('HH_REDIRECT_URI');
  if (!redirect) {
    problems.push('HH_REDIRECT_URI is not set');
    fixes.push(setHint('HH_REDIRECT_URI', 'https://bot.example.com/callback'));
  } else if (!isHttpUrl(redirect.value)) {
    problems.push(`HH_REDIRECT_URI (${redirect.origin}) is not an http(s) URL`);
    fixes.push(setHint('HH_REDIRECT_URI', 'https://bot.example.com/callback'));
  } else {
    // hh.ru allows http:// redirect URIs; the code would travel in cleartext, so say it, but pass.
    const cleartext = redirectCleartextWarning(redirect.value);
    found.push(`redirect URI ${redirect.value} (${redirect.origin})${cleartext ? ' (http://: the authorization code reaches it unencrypted)' : ''}`);
  }

  const elsewhere = new Map<string, string[]>();
  for (const name of ['HH_AUTHORIZE_URL', 'HH_TOKEN_URL', 'HH_API_URL'] as const) {
    const value = config.get(name)!.value;
    const cleartext = cleartextProblem(name, value);
    if (!isHttpUrl(value)) {
      problems.push(`${name} (${from(name)}) is not an http(s) URL`);
      fixes.push(`unset ${name} to use hh.ru, or give an absolute URL`);
    } else if (cleartext) {
      problems.push(`${name} (${from(name)}) is ${cleartext.origin}: ${cleartext.carries} would cross the network unencrypted`);
      fixes.push(`use https:// for ${name}, or unset it to use hh.ru (http:// is for 127.0.0.1, [::1] and localhost only)`);
    } else if (!HH_HOSTS.test(new URL(value).hostname)) {
      const host = new URL(value).host;
      elsewhere.set(host, [...(elsewhere.get(host) ?? []), name]);
    }
  }
  // Right for the sandbox, a mistake on a server: say it either way.
  for (const [host, names] of elsewhere) found.push(`${names.join(', ')} at ${host}, not hh.ru`);
  for (const name of ['HH_HTTP_TIMEOUT', 'HH_LOCK_TIMEOUT', 'HH_HTTP_RETRIES', 'HH_RATE_LIMIT'] as const) {
    const problem = numericSettingProblem(name, config.get(name)!.value);
    if (problem) {
      problems.push(`${name} (${from(name)}) ${problem}`);
      fixes.push(`unset ${name} to use the default (${SETTINGS[name].default})`);
    }
  }

  if (problems.length) return fail('configuration', 'config', problems.join('; '), fixes.join('; '));
  return pass('configuration', found.join(', '));
}

/**
 * Where to put a missing setting: for root, the system settings file, which the service and
 * every root command read (docs/configuration.md); for anyone else, `config set`.
 */
function settingHint(config: Config, name: SettingName, example: string): string {
  const system = systemEnvFilePath(config.env);
  if (process.geteuid?.() === 0 && system) return `add ${name}=${example} to ${system} (or export ${name})`;
  return `hh-oauth config set ${SETTINGS[name].key} ${example} (or export ${name})`;
}

function secretSource(config: Config): string {
  const direct = config.get('HH_CLIENT_SECRET');
  if (direct) return direct.origin === 'config' ? 'saved with config set' : direct.origin === 'system-file' ? `HH_CLIENT_SECRET, the system settings file` : `HH_CLIENT_SECRET, ${direct.origin}`;
  const file = config.get('HH_CLIENT_SECRET_FILE');
  return file ? `file ${file.value}` : `systemd credential ${CREDENTIAL}`;
}

export function checkUserAgent(config: Config): CheckResult {
  const setting = config.get('HH_USER_AGENT');
  const fix = `set HH_USER_AGENT to ${USER_AGENT_ADVICE}: ${settingHint(config, 'HH_USER_AGENT', USER_AGENT_FORM)}`;
  if (!setting) return fail('user-agent', 'config', 'HH_USER_AGENT is not set, so hh-oauth sends its own name without a contact; hh.ru asks for one', fix);
  if (/[\r\n\0]/.test(setting.value)) return fail('user-agent', 'config', `HH_USER_AGENT (${setting.origin}) contains a line break`, fix);
  if (!hasContact(setting.value)) {
    return fail('user-agent', 'config', `"${setting.value}" (${setting.origin}) has no contact e-mail in parentheses; hh.ru may block anonymous clients`, fix);
  }
  return pass('user-agent', `"${setting.value}" (${setting.origin})`);
}

/** Present and valid, in whichever store; doctor never rewrites it (no tightening, no quarantine). */
export async function checkTokenFile(config: Config): Promise<{ result: CheckResult; token?: StoredToken }> {
  let token: StoredToken | null;
  let path: string;
  let file: boolean;
  try {
    const store = await storeOf(config);
    path = store.locate(userSlot(config));
    file = store.kind === 'file';
    token = await readUserToken(config, { inspect: true });
  } catch (err) {
    return { result: failFrom('token-file', err) };
  }
  if (!token) return { result: fail('token-file', 'reauthorize', file ? `no token file at ${path}` : `no token stored for ${path}`, REAUTHORIZE_HINT) };
  const left = secondsLeft(token.expiresAt);
  const when = isDue(token.expiresAt)
    ? `the access token expired ${token.expiresAt.toISOString()} (${formatDuration(left)} ago); the next timer run refreshes it`
    : `valid until ${token.expiresAt.toISOString()} (${formatDuration(left)} left)`;
  const legacy = token.legacy ? '; no expires_at (written by the old tooling), so expiry is estimated from the file time' : '';
  return { result: pass('token-file', `${path}: ${when}${legacy}`), token };
}

/**
 * 0600 (or 0640 for a reader group), a directory nobody else can write to, and an
 * owner that can replace the file: the refresh renames a new file over it.
 */
export async function checkTokenPermissions(path: string): Promise<CheckResult | undefined> {
  const file = await lstat(path).catch((err: unknown) => (errnoCode(err) === 'ENOENT' ? undefined : Promise.reject(err)));
  if (!file?.isFile()) return undefined;
  const dir = await stat(dirname(path));
  const mode = file.mode & 0o777;
  const dirMode = dir.mode & 0o777;
  const octal = (m: number) => `0${m.toString(8).padStart(3, '0')}`;
  const problems: string[] = [];
  const fixes: string[] = [];

  if (mode & 0o137 || (mode & 0o600) !== 0o600) {
    const wanted = mode & 0o040 ? 0o640 : 0o600;
    problems.push(`${path} has mode ${octal(mode)} (want 0600, or 0640 for a reader group)`);
    fixes.push(`chmod ${octal(wanted)} ${path}`);
  }
  if (dirMode & 0o022) {
    problems.push(`its directory ${dirname(path)} has mode ${octal(dirMode)}: others could replace the token file`);
    fixes.push(`chmod ${dirMode & 0o050 ? '0750' : '0700'} ${dirname(path)}`);
  }
  const me = process.getuid?.();
  if (me !== undefined && me !== 0 && file.uid !== me) {
    problems.push(`it belongs to ${userName(file.uid)}, not to you (${userName(me)}); refresh must run as its owner`);
    fixes.push(`run as the owner: sudo -u ${sudoUser(file.uid)} hh-oauth doctor`);
  } else if (me === 0 && file.uid !== dir.uid) {
    problems.push(`it belongs to ${userName(file.uid)} but its directory to ${userName(dir.uid)}; the service (which owns the directory) may not read it`);
    fixes.push(`chown ${userName(dir.uid)} ${path}`);
  }
  const group = readerGroup(file);
  const blocked = group && (await groupBlocker(path, file, group.gid));
  if (group && blocked) {
    problems.push(`members of ${group.name} cannot reach ${path}: ${blocked.path} is ${octal(blocked.mode)} (${userName(blocked.uid)}:${groupName(blocked.gid)})`);
    fixes.push(blocked.fix);
  }
  if (problems.length) return fail('token-permissions', 'store', problems.join('; '), fixes.join('; '));
  const reader = group ? `; members of ${group.name} can read it` : '';
  return pass('token-permissions', `mode ${octal(mode)}, owner ${userName(file.uid)}, directory ${octal(dirMode)}${reader}`);
}

/**
 * The group meant to read the file: HH_TOKEN_GROUP (environment or system settings file),
 * else the group of a 0640 file, unless that is only its owner's own group.
 */
function readerGroup(file: { uid: number; gid: number; mode: number }): { name: string; gid: number } | undefined {
  let named: { name: string; gid: number } | undefined;
  try {
    named = tokenGroup();
  } catch {
    named = undefined; // a group that does not exist: the configuration check names it
  }
  if (named) return named;
  if (!(file.mode & 0o040)) return undefined;
  const owner = nameInFile('passwd', file.uid);
  if (owner !== undefined && primaryGroupInFile(owner) === file.gid) return undefined;
  return { name: groupName(file.gid), gid: file.gid };
}

/**
 * The first place from / down that stops a member of gid (neither owner nor root) from
 * reading path: a directory without x for that group (when it is the directory's) or for
 * others, or the file without r. Groups are judged by mode bits; ACLs are not read.
 */
async function groupBlocker(path: string, file: { uid: number; gid: number; mode: number }, gid: number): Promise<{ path: string; mode: number; uid: number; gid: number; fix: string } | undefined> {
  const octal = (m: number) => `0${m.toString(8).padStart(3, '0')}`;
  const dirs: string[] = [];
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    dirs.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  const stateDir = dirname(path);
  for (const dir of dirs) {
    const st = await stat(dir).catch(() => undefined);
    if (!st) return undefined;
    const mode = st.mode & 0o777;
    if (mode & 0o001 || (st.gid === gid && mode & 0o010)) continue;
    const fix = dir === stateDir
      ? `${st.gid === gid ? '' : `chgrp ${groupName(gid)} ${dir} && `}chmod ${octal((mode & 0o700) | 0o050)} ${dir}`
      : `chmod o+x ${dir}`;
    return { path: dir, mode, uid: st.uid, gid: st.gid, fix };
  }
  const mode = file.mode & 0o777;
  if (mode & 0o004 || (file.gid === gid && mode & 0o040)) return undefined;
  return { path, mode, uid: file.uid, gid: file.gid, fix: `${file.gid === gid ? '' : `chgrp ${groupName(gid)} ${path} && `}chmod 0640 ${path}` };
}

const groupName = (gid: number): string => nameInFile('group', gid) ?? String(gid);

// Without a name (no passwd entry, a minimal container) the number is all there is.
export const userName = (uid: number): string => nameInFile('passwd', uid) ?? `uid ${uid}`;
const sudoUser = (uid: number): string => nameInFile('passwd', uid) ?? `'#${uid}'`;
