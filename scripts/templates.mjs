// The unit and nginx templates install-units renders (src/install/plan.ts), relative to the
// package root: embedded in the standalone binary and shipped in the .deb under /usr/share/hh-oauth/.
export const TEMPLATES = ['systemd/hh-oauth-refresh.service', 'systemd/hh-oauth-refresh.timer', 'systemd/hh-oauth-expiry.timer', 'nginx/hh-oauth.conf'];
