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

/** The accounts in /etc/passwd or /etc/group; none when the file cannot be read (a minimal container). */
function readAccountFile(db: AccountDb, etc: string): Map<string, number> {
  try {
    return parseAccountFile(readFileSync(`${etc}/${db}`, 'utf8'));
  } catch {
    return new Map();
  }
}

export function lookupInFile(db: AccountDb, name: string, etc = '/etc'): number | undefined {
  return readAccountFile(db, etc).get(name);
}

/** numeric id → the first name the file gives it (Node has no getpwuid); undefined when none does. */
export function nameInFile(db: AccountDb, id: number, etc = '/etc'): string | undefined {
  for (const [name, known] of readAccountFile(db, etc)) if (known === id) return name;
  return undefined;
}

/** A group given by name or number; undefined when the name is unknown. */
export function groupId(nameOrId: string): number | undefined {
  if (/^[0-9]+$/.test(nameOrId)) return Number(nameOrId);
  return lookupInFile('group', nameOrId);
}

/** A user's primary group (field 4 of passwd(5)), which systemd's User= without Group= runs with. */
export function primaryGroupInFile(user: string, etc = '/etc'): number | undefined {
  let text: string;
  try {
    text = readFileSync(`${etc}/passwd`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.split('\n').find((line) => line.startsWith(`${user}:`))?.split(':');
  return fields && /^[0-9]+$/.test(fields[3] ?? '') ? Number(fields[3]) : undefined;
}
