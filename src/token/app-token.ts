import { join, resolve } from 'node:path';
import type { Config } from '../config/config';
import { storeError } from '../errors';
import { markOf, movedError } from '../store/moved';
import { log } from '../output';
import { readRawFile } from './read';

/**
 * The application token (client_credentials grant): no expiry, no refresh token,
 * and asking for a new one revokes the old one. It lives in its own file so that
 * the user token file keeps exactly hh.ru's user grant.
 */
export interface AppTokenRecord {
  data: Record<string, unknown>;
  accessToken: string;
  obtainedAt?: Date;
}

/**
 * One per application, whichever profile asks (hh.ru revokes the last one when it issues a
 * new one), so beside the default token file: beside a profile's file it would sit in
 * profiles/, where every `*.json` is a profile, and `refresh --all` would fail on it.
 */
export function appTokenFile(config: Config): string {
  const explicit = config.get('HH_APP_TOKEN_FILE');
  return explicit ? resolve(explicit.value) : join(config.tokenDir(), 'app-token.json');
}

/** Pure validation of an app token file: a JSON object with a non-empty access_token (and obtained_at when we wrote it). */
export function parseAppTokenFile(text: string, path = 'app token file'): AppTokenRecord {
  const corrupt = (why: string) => storeError(`${path} is corrupt: ${why}`, `move it away and run \`hh-oauth app-token --rotate\` (this revokes the application token hh.ru last issued)`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw corrupt(text.trim() === '' ? 'it is empty' : 'it is not valid JSON (truncated?)');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw corrupt('it is not a JSON object');
  const mark = markOf(data);
  if (mark) throw movedError(path, mark);
  const record = data as Record<string, unknown>;
  if (typeof record.access_token !== 'string' || record.access_token === '') throw corrupt('access_token is missing or not a string');
  let obtainedAt: Date | undefined;
  if (record.obtained_at !== undefined) {
    obtainedAt = typeof record.obtained_at === 'string' ? new Date(record.obtained_at) : undefined;
    if (!obtainedAt || Number.isNaN(obtainedAt.getTime())) throw corrupt('obtained_at is not an ISO date');
  }
  return { data: record, accessToken: record.access_token, obtainedAt };
}

export async function readAppToken(config: Config): Promise<AppTokenRecord | null> {
  const path = appTokenFile(config);
  const raw = await readRawFile(path);
  if (raw && raw.mode & 0o137) log.warn(`${path} has mode 0${raw.mode.toString(8)}, which lets others read the token; run \`chmod 600 ${path}\``);
  return raw && parseAppTokenFile(raw.text, path);
}
