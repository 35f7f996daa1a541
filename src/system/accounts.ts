import { readFileSync } from 'node:fs';

/**
 * Users and groups, read from /etc/passwd and /etc/group (or getent when it can be
 * run). Kept free of execa so the token store can use it on the refresh path.
 */
export type AccountDb = 'passwd' | 'group';

/** name → numeric id, from a passwd(5) or group(5) file's text (both keep the id in field 3). */
export function parseAccountFile(text: string): Map<string, number> {
  const ids = new Map<string, number>();
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 3 || line.startsWith('#')) continue;
    const id = Number(fields[2]);
    if (fields[0] && /^[0-9]+$/.test(fields[2]!) && !ids.has(fields[0])) ids.set(fields[0], id);
  }
  return ids;
}

export function lookupInFile(db: AccountDb, name: string, etc = '/etc'): number | undefined {
  let text: string;
  try {
    text = readFileSync(`${etc}/${db}`, 'utf8');
  } catch {
    return undefined;
  }
  return parseAccountFile(text).get(name);
}

/** A group given by name or number; undefined when the name is unknown. */
export function groupId(nameOrId: string): number | undefined {
  if (/^[0-9]+$/.test(nameOrId)) return Number(nameOrId);
  return lookupInFile('group', nameOrId);
}
