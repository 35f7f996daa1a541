/**
 * The pages the login listener shows a browser. They sit behind a public URL, so they
 * carry no script, never a token or a code, and never a raw query value: the only
 * dynamic text is our own wording, escaped anyway.
 */
export interface Page {
  status: number;
  title: string;
  message: string;
  headers?: Record<string, string>;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const SECURITY_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

export function renderPage(page: Page): string {
  const title = escapeHtml(page.title);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hh-oauth: ${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em;line-height:1.5}</style>
</head><body><h1>${title}</h1><p>${escapeHtml(page.message)}</p></body></html>
`;
}

export const pages = {
  stored: (): Page => ({ status: 200, title: 'Done', message: 'hh-oauth received the authorization and stored the token. You can close this tab.' }),
  exchangeFailed: (): Page => ({
    status: 500,
    title: 'Not stored',
    message: 'hh-oauth received the authorization, but the token could not be obtained or stored. The terminal running `hh-oauth login` says why.',
  }),
  denied: (): Page => ({
    status: 403,
    title: 'Access not granted',
    message: 'Access was refused at hh.ru, so no token was issued and nothing was stored. Run `hh-oauth login` again and choose to allow access if this was a mistake.',
  }),
  hhError: (): Page => ({
    status: 400,
    title: 'Authorization failed',
    message: 'hh.ru redirected back with an error instead of a code. Nothing was stored; the terminal running `hh-oauth login` names the error.',
  }),
  badState: (): Page => ({
    status: 400,
    title: 'Unknown authorization',
    message: 'This link does not belong to the login in progress (an old link, or one from another session). Nothing was sent to hh.ru. Use the link the terminal printed last.',
  }),
  otherBrowser: (): Page => ({
    status: 400,
    title: 'Not started in this browser',
    message:
      'This authorization was not started in this browser (it did not open the link the terminal printed), so it was refused and nothing was sent to hh.ru. Open that link in the browser you log in with.',
  }),
  malformedCallback: (): Page => ({
    status: 400,
    title: 'Bad callback',
    message: 'This callback carries no usable authorization code. Nothing was sent to hh.ru; the login in progress goes on. Use the link the terminal printed.',
  }),
  reopened: (): Page => ({
    status: 409,
    title: 'Login stopped',
    message:
      'The link of this login was opened twice, so someone else may have it: the login stopped, nothing was sent to hh.ru and nothing was stored. Run `hh-oauth login` again and open the new link once.',
  }),
  badRequest: (): Page => ({ status: 400, title: 'Bad request', message: 'This request is not an hh.ru authorization callback.' }),
  busy: (): Page => ({ status: 409, title: 'Already in progress', message: 'An authorization for this login is already being completed.' }),
  finished: (): Page => ({ status: 410, title: 'Login finished', message: 'This login is already finished; this callback is refused.' }),
  notFound: (): Page => ({ status: 404, title: 'Not found', message: 'Nothing here.' }),
  methodNotAllowed: (): Page => ({ status: 405, title: 'Method not allowed', message: 'Only GET is accepted here.', headers: { allow: 'GET' } }),
  tooLarge: (): Page => ({ status: 413, title: 'Too large', message: 'This request is too large.', headers: { connection: 'close' } }),
  uriTooLong: (): Page => ({ status: 414, title: 'Too long', message: 'This address is too long.', headers: { connection: 'close' } }),
};

/**
 * The pages a callback's browser is sent on to (303) by name, so that its address bar and
 * history keep `/callback?hh_oauth=NAME` instead of hh.ru's code and state.
 */
export const OUTCOMES = {
  stored: pages.stored,
  'not-stored': pages.exchangeFailed,
  denied: pages.denied,
  'hh-error': pages.hhError,
  unknown: pages.badState,
  'other-browser': pages.otherBrowser,
  malformed: pages.malformedCallback,
  reopened: pages.reopened,
  busy: pages.busy,
  finished: pages.finished,
} satisfies Record<string, () => Page>;

export type Outcome = keyof typeof OUTCOMES;

/** These say only what was wrong with the callback that led there, so anyone may see them. */
const STANDING: ReadonlySet<string> = new Set<Outcome>(['unknown', 'other-browser', 'malformed', 'reopened', 'busy', 'finished']);

/**
 * The page for ?hh_oauth=NAME: a standing one, or the login's own outcome once it has one
 * (undefined unless the asker is the browser it was sent to). Any other outcome's name gets
 * one answer, whatever the login's outcome, so that it tells nothing about it.
 */
export function outcomePage(name: string, loginOutcome: Outcome | undefined): Page | undefined {
  if (name === loginOutcome || STANDING.has(name)) return OUTCOMES[name as Outcome]();
  return Object.hasOwn(OUTCOMES, name) ? notShown() : undefined;
}

const notShown = (): Page => ({
  status: 404,
  title: 'Not shown here',
  message: 'The outcome of a login is shown only to the browser that brought its authorization. The terminal running `hh-oauth login` says how it went.',
});
