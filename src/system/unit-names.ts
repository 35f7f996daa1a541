/**
 * The names hh-oauth gives its pieces on the host, in one place: install-units renders
 * files under them, status and doctor ask systemctl about them, and the configuration
 * reads the client secret that systemd hands over under CREDENTIAL. A name changed here
 * changes for all of them (and in the files under systemd/ and nginx/, which carry the
 * same names: the templates are read by these names).
 */

export const SERVICE = 'hh-oauth-refresh.service';
export const REFRESH_TIMER = 'hh-oauth-refresh.timer';
export const EXPIRY_TIMER = 'hh-oauth-expiry.timer';
/** Both timers, in the order status and doctor report them. */
export const TIMERS = [REFRESH_TIMER, EXPIRY_TIMER] as const;

/** Template units, one instance per profile (`%i` is the profile name). */
export const PROFILE_SERVICE = 'hh-oauth-refresh@.service';
export const PROFILE_REFRESH_TIMER = 'hh-oauth-refresh@.timer';
export const PROFILE_EXPIRY_TIMER = 'hh-oauth-expiry@.timer';
/** What a profile's timers start: its instance of PROFILE_SERVICE. */
export const PROFILE_SERVICE_INSTANCE = 'hh-oauth-refresh@%i.service';

/** The systemd credential (LoadCredential=NAME:…) that carries the client secret into $CREDENTIALS_DIRECTORY. */
export const CREDENTIAL = 'hh-client-secret';
/** The systemd credential that carries the PostgreSQL store's password (src/store/postgres/password.ts). */
export const DB_PASSWORD_CREDENTIAL = 'hh-db-password';

/** The nginx site file, and where doctor looks for it by default. */
export const NGINX_FILE = 'hh-oauth.conf';
export const NGINX_ENABLED_FILE = `/etc/nginx/sites-enabled/${NGINX_FILE}`;
