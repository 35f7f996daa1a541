import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS } from '../config/config';
import { SYSTEM_ENV_FILE } from '../config/env-file';
import { plain, tableRows } from './man-page';

/**
 * The .deb's conffile /etc/hh-oauth/hh-oauth.env: every setting, commented out, with its
 * meaning and default from docs/configuration.md's table, so that the operator uncomments
 * what the server needs. Only lines starting with # (the env-file parser skips them).
 */
export function envFileTemplate(root: string): string {
  const rows = new Map(tableRows(readFileSync(join(root, 'docs', 'configuration.md'), 'utf8'), /^`HH_[A-Z_]+`$/).map((r) => [plain(r[0]!), r]));
  const wrap = (text: string) => text.replace(/(.{1,86})(?:\s+|$)/g, '# $1\n');
  const out = [
    `# ${SYSTEM_ENV_FILE}: hh-oauth's system settings file (installed by the hh-oauth package).`,
    '# Read by every hh-oauth command run as root, and by the refresh service (EnvironmentFile=).',
    '# Keep it root-only (0600). Never put the client secret here: use HH_CLIENT_SECRET_FILE,',
    '# and `hh-oauth install-units --client-secret-file` for the service. See hh-oauth(1).',
    '# A package upgrade keeps your edits (a conffile).',
    '',
  ];
  for (const name of Object.keys(SETTINGS)) {
    if (name === 'HH_CLIENT_SECRET') continue;
    const row = rows.get(name);
    if (row && row.length >= 4) out.push(wrap(`${plain(row[2]!)} (default: ${plain(row[3]!)})`).trimEnd());
    out.push(`#${name}=`, '');
  }
  return out.join('\n');
}
