/** Values every test shares, defined once. */

/** The User-Agent the tests give the CLI and send to the sandbox themselves: hh.ru wants a contact in it. */
export const USER_AGENT = 'hh-oauth-tests/1.0 (tests@example.com)';

/** What the tests' "browser" sends to hh.ru's authorization page (a browser page needs no contact). */
export const BROWSER_USER_AGENT = 'Mozilla/5.0 (test browser)';

/** The redirect URI each harness registers for its client, unless the file asks for another. */
export const REDIRECT_URI = 'http://127.0.0.1:8400/callback';
