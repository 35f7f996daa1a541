import { dirname, sep } from 'node:path';
import { readTemplate, renderTemplate, withHeader, type Dialect } from './templates';
import { systemdArg, systemdValue } from './values';
import {
  CREDENTIAL,
  DB_PASSWORD_CREDENTIAL,
  EXPIRY_TIMER,
  NGINX_FILE,
  PROFILE_EXPIRY_TIMER,
  PROFILE_REFRESH_TIMER,
  PROFILE_SERVICE,
  PROFILE_SERVICE_INSTANCE,
  REFRESH_TIMER,
  SERVICE,
} from '../system/unit-names';

/** What install-units renders, from values that install/values.ts has already accepted. */
export interface UnitSettings {
  /** The node that runs bin; none when bin is the standalone binary, which ExecStart= runs directly. */
  node?: string;
  bin: string;
  user: string;
  tokenGroup?: string;
  /**
   * The system settings file (/etc/hh-oauth/hh-oauth.env), given to the service whether or
   * not it exists yet (EnvironmentFile=-): systemd reads it as root, so the service has its
   * values even where the file is root's alone. Before the --env-file, which thus wins.
   */
  systemEnvFile?: { path: string; moved: boolean };
  environmentFile?: string;
  secretFile?: string;
  /** The PostgreSQL store's password file, handed over as the DB_PASSWORD_CREDENTIAL credential. */
  dbPasswordFile?: string;
  /** HH_ON_REFRESH for the service, already checked by checkHookCommand. */
  onRefresh?: string;
  onCalendar: string[];
  /** The service runs `refresh --all` (every profile) instead of the single token. */
  allProfiles?: boolean;
  /** Also render template units, one instance per profile: hh-oauth-refresh@NAME.service and its timers. */
  perProfile?: boolean;
  expiry: { span: string } | 'off';
  /** node_exporter's textfile directory: the service writes hh-oauth.prom there after every run. */
  metricsDir?: string;
  nginx?: NginxSettings;
}

export interface NginxSettings {
  serverName: string;
  listen: string;
  callbackUpstream: string;
  appUpstream?: string;
  logDir: string;
}

export interface RenderedFile {
  name: string;
  dialect: Dialect;
  content: string;
}

/** Directories that ProtectHome= hides from the service. */
const HOMES = ['/root', '/home', '/run/user'];
const PRIVATE_TMP = ['/tmp', '/var/tmp'];

const under = (path: string, dir: string) => path === dir || path.startsWith(dir + '/');

/**
 * What the service must see of this package: the package directory, or, when it is
 * installed inside another project's node_modules, that whole node_modules (its
 * dependencies may be hoisted there).
 */
export function packageRootFor(bin: string): string {
  const parts = bin.split(sep);
  const nm = parts.indexOf('node_modules');
  return nm > 0 ? parts.slice(0, nm + 1).join(sep) : dirname(dirname(bin));
}

/**
 * ProtectHome=yes hides /root and /home. When node or the package lives there,
 * ProtectHome=tmpfs puts empty directories in their place and BindReadOnlyPaths=
 * brings back only what the service needs, read-only. The standalone binary (no node)
 * needs only itself, and from the .deb it is /usr/bin/hh-oauth: nothing to bring back.
 */
export function homeAccess(node: string | undefined, bin: string): { protectHome: 'yes' | 'tmpfs'; binds: string[]; warnings: string[] } {
  const needed = node === undefined ? [bin] : [node, packageRootFor(bin)];
  const inHome = needed.filter((p) => HOMES.some((h) => under(p, h)));
  // Drop duplicates and paths that another bind already covers.
  const binds = inHome.filter((p, i) => inHome.indexOf(p) === i && !inHome.some((q) => q !== p && under(p, q)));
  const warnings = needed
    .filter((p) => PRIVATE_TMP.some((t) => under(p, t)))
    .map((p) => `${p} is under /tmp or /var/tmp, which the service cannot see (PrivateTmp=yes); install hh-oauth elsewhere, e.g. the .deb (/usr/bin/hh-oauth) or the binary in /usr/local/bin`);
  return { protectHome: binds.length ? 'tmpfs' : 'yes', binds, warnings };
}

/** A metrics directory the sandbox hides would be written in the service's private copy, which node_exporter never sees. */
export function metricsDirWarnings(dir: string | undefined): string[] {
  if (dir === undefined) return [];
  if (PRIVATE_TMP.some((t) => under(dir, t))) return [`--metrics-dir ${dir} is under /tmp or /var/tmp, which is private to the service (PrivateTmp=yes): node_exporter would never see the file`];
  if (HOMES.some((h) => under(dir, h))) return [`--metrics-dir ${dir} is under a home directory, which the service cannot see (ProtectHome=): use a directory such as /var/lib/prometheus/node-exporter`];
  return [];
}

export function renderAll(s: UnitSettings): { files: RenderedFile[]; warnings: string[] } {
  const home = homeAccess(s.node, s.bin);
  const environment: string[] = [];
  const system = s.systemEnvFile;
  if (system && system.path !== s.environmentFile) environment.push(`EnvironmentFile=-${systemdValue(system.path)}`);
  // Moved from /etc (HH_SYSTEM_ENV_FILE): the service looks where root's commands look.
  if (system?.moved) environment.push(`Environment="HH_SYSTEM_ENV_FILE=${systemdValue(system.path)}"`);
  if (s.environmentFile) environment.push(`EnvironmentFile=${systemdValue(s.environmentFile)}`);
  if (s.tokenGroup) environment.push(`Environment=HH_TOKEN_GROUP=${s.tokenGroup}`);
  if (s.onRefresh) environment.push(`Environment="HH_ON_REFRESH=${systemdValue(s.onRefresh)}"`);
  if (s.secretFile) {
    // Read by systemd as root; the service sees a copy in $CREDENTIALS_DIRECTORY only.
    environment.push(`LoadCredential=${CREDENTIAL}:${systemdValue(s.secretFile)}`, 'UnsetEnvironment=HH_CLIENT_SECRET_FILE');
  }
  if (s.dbPasswordFile) {
    // The same for the database password: the file may stay root's (0600); the store reads the credential when no file is named.
    environment.push(`LoadCredential=${DB_PASSWORD_CREDENTIAL}:${systemdValue(s.dbPasswordFile)}`, 'UnsetEnvironment=HH_TOKEN_STORE_PASSWORD_FILE');
  }
  const command = s.node === undefined ? systemdArg(s.bin) : `${systemdArg(s.node)} ${systemdArg(s.bin)}`;
  // ExecStopPost= runs after every run, failed ones too (Restart= then tries again): the figures say how it went.
  // Its "-": a metrics write that fails (exit 7, in the journal) must not mark a good refresh
  // failed, nor make Restart=on-failure run it again every RestartSec= for ever.
  // ReadWritePaths=-DIR: without the "-", a DIR that is missing (not made yet, node_exporter
  // removed) fails the whole unit at its namespace set-up (226/NAMESPACE): no refresh at all.
  const metrics = s.metricsDir
    ? [`ExecStopPost=-${command} status --format prometheus --metrics-dir ${systemdArg(s.metricsDir)}`, `ReadWritePaths=${systemdArg(`-${s.metricsDir}`)}`]
    : [];
  const service = (execStart: string, logFields: string[] = []) => ({
    exec_start: execStart,
    metrics,
    log_fields: logFields,
    user: s.user,
      group: s.tokenGroup ? [`Group=${s.tokenGroup}`] : [],
      // The group may enter the directory to read token.json; everything else in it stays 0600.
      state_mode: s.tokenGroup ? '0750' : '0700',
      environment,
      protect_home: home.protectHome,
    bind_paths: home.binds.map((p) => `BindReadOnlyPaths=${systemdArg(p)}`),
  });
  const onCalendar = s.onCalendar.map((spec) => `OnCalendar=${systemdValue(spec)}`);
  const files: RenderedFile[] = [
    unit(SERVICE, service(`${command} ${s.allProfiles ? 'refresh --all' : 'refresh'}`)),
    unit(REFRESH_TIMER, { on_calendar: onCalendar, service: SERVICE }),
  ];
  if (s.expiry !== 'off') files.push(unit(EXPIRY_TIMER, { interval: systemdValue(s.expiry.span), service: SERVICE }));
  if (s.perProfile) {
    // %i is the profile name; profile names ([a-z0-9._-]) need no unit-name escaping.
    // HH_PROFILE=%i on every journal entry: `journalctl -t hh-oauth HH_PROFILE=acme` finds one profile's runs.
    files.push(unit(PROFILE_SERVICE, service(`${command} --profile %i refresh`, ['LogExtraFields=HH_PROFILE=%i']), SERVICE));
    files.push(unit(PROFILE_REFRESH_TIMER, { on_calendar: onCalendar, service: PROFILE_SERVICE_INSTANCE }, REFRESH_TIMER));
    if (s.expiry !== 'off') files.push(unit(PROFILE_EXPIRY_TIMER, { interval: systemdValue(s.expiry.span), service: PROFILE_SERVICE_INSTANCE }, EXPIRY_TIMER));
  }
  if (s.nginx) {
    const n = s.nginx;
    const body = renderTemplate(
      readTemplate(`nginx/${NGINX_FILE}`),
      {
        listen: n.listen,
        server_name: n.serverName,
        callback_upstream: n.callbackUpstream,
        app_upstream: n.appUpstream,
        callback_log: `${n.logDir}/hh-oauth-callback.log`,
        callback_error_log: `${n.logDir}/hh-oauth-callback.error.log`,
      },
      'nginx',
    );
    files.push({ name: NGINX_FILE, dialect: 'nginx', content: withHeader(body) });
  }
  return { files, warnings: [...home.warnings, ...metricsDirWarnings(s.metricsDir)] };
}

/** A unit rendered from systemd/<template> (by default the file of the same name). */
function unit(name: string, values: Record<string, string | string[]>, template = name): RenderedFile {
  return { name, dialect: 'systemd', content: withHeader(renderTemplate(readTemplate(`systemd/${template}`), values, 'systemd')) };
}
