import type { LOGIN } from '../cli/commands';
import type { OptionsFor } from '../cli/spec';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../config/config';
import { formatDuration } from '../token/expiry';
import { HhOauthError, reauthorizeError } from '../errors';
import { formatListen, parseDuration, parseListen, type ListenAddress } from '../login/options';
import { startCallbackListener, type Arrival, type CallbackListener } from '../login/listener';
import { describeProbe, probeJson, probeReachability, type ProbeReport } from '../login/probe';
import { diagnosisCode } from '../login/request-failure';
import { coloursOn, isJsonMode, log, printable, result } from '../output';
import { storeNewGrant } from '../lifecycle/new-grant';
import { onStopSignal } from '../token/signal-guard';
import { readUserToken, storeOf, userSlot } from '../lifecycle/stores';
import { isMovedError } from '../store/moved';
import { buildAuthorizeUrl } from '../authorize/url';
import { meSummary } from '../hh/me';
import { fetchMe } from '../lifecycle/api-call';
import { openBrowser } from '../system/browser';
import { writeBrowserPage, type BrowserPage } from '../login/browser-page';

/** Typed from the command's declaration (LOGIN in src/cli/commands.ts). */
export type LoginOptions = OptionsFor<typeof LOGIN>;

/** Exit codes for a login cut short by a signal: the shell's 128 + signal number. */
const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };
const MAX_LOGGED_REFUSALS = 10;
/**
 * When login started a browser, a callback waits this long after the start link's first
 * fetch: the operator's browser fetches it within seconds, and that second fetch stops a
 * login that someone raced with the link (see Limits.startGraceMs). The opener no longer
 * sees the link (only a private file's path, browser-page.ts), so this is a second line,
 * for a browser or opener that might still pass the page's target on somewhere public;
 * it costs nothing, as a person takes longer than this at hh.ru's page anyway.
 */
const START_GRACE_MS = 10_000;

class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

export default async function login(opts: LoginOptions): Promise<void> {
  const listen = parseListen(opts.listen);
  const timeoutSeconds = parseDuration(opts.timeout);
  const config = loadConfig(opts);
  const redirectUri = config.url('HH_REDIRECT_URI', 'login');
  const signals = trapSignals();
  try {
    if (opts.checkOnly) await checkOnly(config, listen, redirectUri, signals);
    else await fullLogin(config, opts, listen, redirectUri, timeoutSeconds, signals);
  } catch (err) {
    if (!(err instanceof Interrupted)) throw err;
    reportInterrupted(err.signal);
  } finally {
    signals.release();
  }
}

async function checkOnly(config: Config, listen: ListenAddress, redirectUri: string, signals: SignalTrap): Promise<void> {
  // A state nobody knows: this listener can only ever answer the probe.
  const listener = await startCallbackListener({ ...listen, path: new URL(redirectUri).pathname, state: randomBytes(16).toString('hex') });
  let report: ProbeReport;
  try {
    report = await signals.race(probeReachability(listener, redirectUri, { timeoutSeconds: config.seconds('HH_HTTP_TIMEOUT') }));
  } finally {
    await listener.close();
  }
  if (!report.reached) {
    const d = report.diagnosis!;
    throw new HhOauthError(diagnosisCode(d), `probe failed (${d.cause}): ${describeProbe(report)}`, { suggestion: d.hint });
  }
  for (const warning of report.warnings) log.warn(warning);
  result(probeJson(report), `reachable: ${describeProbe(report)}`);
}

async function fullLogin(
  config: Config,
  opts: LoginOptions,
  listen: ListenAddress,
  redirectUri: string,
  timeoutSeconds: number,
  signals: SignalTrap,
): Promise<void> {
  // Everything that can fail for a local reason fails now, before anyone opens a browser.
  const clientId = config.require('HH_CLIENT_ID', 'login');
  const clientSecret = config.clientSecret('login');
  const authorizeBase = config.url('HH_AUTHORIZE_URL', 'login');
  const tokenFile = (await storeOf(config)).locate(userSlot(config));
  await preflightStore(config, tokenFile);

  // The state goes only to the browser that opens the start link first (in the 303 to hh.ru), never onto a command line.
  const state = randomBytes(16).toString('hex');
  const authorizeUrl = buildAuthorizeUrl(authorizeBase, {
    clientId,
    state,
    redirectUri,
    forceLogin: opts.forceLogin,
    skipChooseAccount: opts.skipChooseAccount,
  });
  let refusalsLogged = 0;
  // The page that sends a browser login started on to the start link: gone once the link is fetched, or the login ends.
  let page: BrowserPage | undefined;
  let started = false;
  const listener = await startCallbackListener({
    ...listen,
    path: new URL(redirectUri).pathname,
    state,
    authorizeUrl,
    loginCookieMaxAgeS: timeoutSeconds,
    secureCookies: new URL(redirectUri).protocol === 'https:',
    onRefused: (reason, arrival) => {
      // Internet noise (scanners) stays at debug; a wrong state is what an operator must hear about.
      if (!reason.includes('state')) return log.debug(`listener refused ${reason} from ${from(arrival)}`);
      if (refusalsLogged++ < MAX_LOGGED_REFUSALS) log.warn(`refused ${reason} from ${from(arrival)}: nothing was sent to hh.ru; still waiting`);
    },
    onStarted: (arrival) => {
      started = true;
      page?.remove();
      log.info(`the login link was opened (${describeArrival(arrival)}); sent the browser on to hh.ru`);
    },
    onReopenedLate: (arrival) =>
      log.warn(
        `the login link was opened again (${describeArrival(arrival)}) after the authorization came back: if you did not open it twice, someone else may have raced this login; check that the account below is yours (\`hh-oauth whoami\`)`,
      ),
  });

  try {
    if (opts.probe) await autoProbe(config, listener, redirectUri, signals);
    page = await announce(startLink(redirectUri, listener.startQuery), opts, timeoutSeconds, listener);
    // The printed link may have been opened while the opener was starting.
    if (started) page?.remove();
    log.info(`waiting for hh.ru to redirect to ${redirectUri} (listening on ${formatListen(listener.address)}; Ctrl-C cancels)`);

    const callback = await signals.race(listener.callback, {
      seconds: timeoutSeconds,
      error: () => timeoutError(listener, redirectUri, timeoutSeconds),
    });
    if (callback.kind === 'reopened') {
      await listener.finish('reopened');
      throw reauthorizeError(
        `the login link was opened a second time (${describeArrival(callback.arrival)}), so someone else may have it (a command line, such as the browser's, is visible to every local user); the login stopped before any code was exchanged: nothing was sent to hh.ru and nothing was stored`,
        'run `hh-oauth login` again and open the new link once; on a machine shared with other users, pass --no-open and paste the link into your browser yourself',
      );
    }
    if (callback.kind === 'error') {
      await listener.finish(callback.error === 'access_denied' ? 'denied' : 'hh-error');
      throw callback.error === 'access_denied'
        ? reauthorizeError('access was refused at hh.ru; no code was issued and nothing was stored', 'run `hh-oauth login` again and allow access')
        : reauthorizeError(`hh.ru redirected back with error "${printable(callback.error)}" instead of a code; nothing was stored`, 'run `hh-oauth login` again');
    }

    log.info(`authorization received (${describeArrival(callback.arrival)}); exchanging the code with hh.ru`);
    signals.defer('the code is being exchanged and stored; this finishes within the HTTP timeout');
    let expiresAt: Date;
    try {
      expiresAt = await storeNewGrant(config, { clientId, clientSecret, code: callback.code, redirectUri });
    } catch (err) {
      await listener.finish('not-stored');
      throw err;
    }
    await listener.finish('stored');
    log.info(`stored the token in ${tokenFile}; it expires ${expiresAt.toISOString()} (in ${formatDuration((expiresAt.getTime() - Date.now()) / 1000)})`);
    await closingSummary(config, tokenFile, redirectUri, expiresAt);
  } finally {
    page?.remove();
    // The browser was sent on to its outcome page, which this listener serves: let it arrive.
    await listener.outcomeShown();
    await listener.close();
  }
}

/** The store's write up to the spend (the file store: claims and releases a temp file), so a store problem shows before the browser step. */
async function preflightStore(config: Config, tokenFile: string): Promise<void> {
  await (await storeOf(config)).rehearse(userSlot(config), config.seconds('HH_LOCK_TIMEOUT'));
  // A slot `store copy` moved stops the login here, before the browser: its pair lives elsewhere.
  const existing = await readUserToken(config).catch((err: unknown) => (isMovedError(err) ? Promise.reject(err) : undefined));
  if (existing) log.info(`${tokenFile} already holds a token; it is replaced once hh.ru issues the new one`);
}

async function autoProbe(config: Config, listener: CallbackListener, redirectUri: string, signals: SignalTrap): Promise<void> {
  const report = await signals.race(probeReachability(listener, redirectUri, { timeoutSeconds: config.seconds('HH_HTTP_TIMEOUT') }));
  if (report.reached) {
    log.info(`probe: ${describeProbe(report)}`);
    for (const warning of report.warnings) log.warn(`probe: ${warning}`);
    return;
  }
  // Only a warning: from inside a LAN the public name may not loop back (hairpin NAT) even though hh.ru's redirect works.
  log.warn(`probe: ${describeProbe(report)}`);
  log.hint(report.diagnosis!.hint, 'warn');
  log.warn('continuing anyway; if the redirect never arrives, fix this first (`hh-oauth login --check-only` repeats the check, --no-probe skips it)');
}

/** HH_REDIRECT_URI with the listener's start parameter: the callback's own origin and path, so it works wherever the callback does. */
function startLink(redirectUri: string, startQuery: string): string {
  const url = new URL(redirectUri);
  url.search = url.search ? `${url.search}&${startQuery}` : `?${startQuery}`;
  return url.href;
}

/** Prints the start link for a person; gives a browser opener only the path of a private page that leads there. */
async function announce(url: string, opts: LoginOptions, timeoutSeconds: number, listener: CallbackListener): Promise<BrowserPage | undefined> {
  log.info(`open this link in one browser and allow access at hh.ru (it works once; this login waits ${formatDuration(timeoutSeconds)}):`);
  log.info(`\n  ${url}\n`);
  if (!isJsonMode() && process.stdout.isTTY && process.stderr.isTTY) await printQr(url);
  if (!opts.open) return undefined;
  // A command line is public (/proc/PID/cmdline): the opener and the browser get a file's path, never the link.
  let page: BrowserPage;
  try {
    page = writeBrowserPage(url);
  } catch (err) {
    log.warn(`could not open a browser: no private file for the link (${(err as Error).message}); open the link by hand`);
    return undefined;
  }
  // Held before the browser can fetch the link, released if no opener started.
  listener.holdCallbacksAfterStart(START_GRACE_MS);
  if (!(await openBrowser(page.path))) {
    listener.holdCallbacksAfterStart(0);
    page.remove();
    return undefined;
  }
  return page;
}

async function printQr(url: string): Promise<void> {
  try {
    const { default: qrcode } = await import('qrcode');
    // The terminal form paints with escape sequences; without colour (NO_COLOR, --no-color) the plain block characters.
    const art = await qrcode.toString(url, coloursOn() ? { type: 'terminal', small: true } : { type: 'utf8' });
    process.stderr.write(`${art}\n`);
    log.info('(working over SSH? scan the code with a phone: the link works from any browser)');
  } catch (err) {
    log.debug(`no QR code: ${(err as Error).message}`);
  }
}

async function closingSummary(config: Config, tokenFile: string, redirectUri: string, expiresAt: Date): Promise<void> {
  let me: Record<string, unknown> | null = null;
  try {
    me = (await fetchMe(config)).me;
  } catch (err) {
    // The token is stored; a failed check of it is worth a warning, not a failed login.
    log.warn(`the token is stored, but GET /me failed: ${(err as Error).message}; try \`hh-oauth whoami\` later`);
  }
  result(
    { status: 'stored', token_file: tokenFile, expires_at: expiresAt.toISOString(), redirect_uri: redirectUri, me },
    me ? meSummary(me, expiresAt) : `stored in ${tokenFile}; expires ${expiresAt.toISOString()}`,
  );
}

function timeoutError(listener: CallbackListener, redirectUri: string, timeoutSeconds: number): HhOauthError {
  const wrong = listener.refusedStates();
  const others = listener.refusedBrowsers();
  const seen =
    (wrong > 0 ? `; ${wrong} callback(s) with a wrong state were refused (an old link?)` : '') +
    (others > 0 ? `; ${others} callback(s) came from a browser that had not opened this login's link, and were refused` : '');
  return reauthorizeError(
    `no authorization arrived within ${formatDuration(timeoutSeconds)}${seen}; nothing was stored`,
    `check that the link was opened and access allowed; that HH_REDIRECT_URI (${redirectUri}) is the redirect URI registered at dev.hh.ru; ` +
      `and that it reaches ${formatListen(listener.address)} (\`hh-oauth login --check-only\`). Then run \`hh-oauth login\` again, with a longer --timeout if needed`,
  );
}

function describeArrival(a: Arrival): string {
  return a.viaProxy ? `through a proxy, X-Forwarded-Proto: ${a.forwardedProto ?? 'not set'}` : `directly from ${a.remote}`;
}

function from(a: Arrival): string {
  return a.forwardedFor ?? a.remote;
}

interface SignalTrap {
  /** Rejects with Interrupted when SIGINT/SIGTERM arrives before the promise settles, or with timeout.error() when it expires. */
  race<T>(promise: Promise<T>, timeout?: { seconds: number; error: () => Error }): Promise<T>;
  /** From now on a signal only prints this and is otherwise ignored: the work in progress must finish. */
  defer(why: string): void;
  release(): void;
}

/**
 * Ctrl-C and `kill` end the login cleanly (listener closed, no stack trace) instead of killing it mid-way.
 * Through signal-guard.ts like every stop signal, but with a handler of login's own, because login
 * differs from the other writers in two ways: before the code arrives nothing is at stake, so a signal
 * cancels the wait (exit 130/143) instead of ending the process; and once the code is in hand the login
 * finishes (stores the pair, answers the browser page, prints the summary) instead of ending right after
 * the store like exchange, because the operator is watching the terminal and the browser for the outcome.
 */
function trapSignals(): SignalTrap {
  let deferred: string | undefined;
  let fire: ((signal: NodeJS.Signals) => void) | undefined;
  const received = new Promise<NodeJS.Signals>((resolve) => (fire = resolve));
  const stopListening = onStopSignal((signal) => {
    if (deferred) log.warn(`${signal} received: ${deferred}`);
    else fire?.(signal);
  });
  return {
    race(promise, timeout) {
      let timer: NodeJS.Timeout | undefined;
      const contenders: Array<Promise<never>> = [received.then((signal) => Promise.reject(new Interrupted(signal)))];
      if (timeout) contenders.push(new Promise<never>((_, reject) => (timer = setTimeout(() => reject(timeout.error()), timeout.seconds * 1000))));
      return Promise.race([promise, ...contenders]).finally(() => clearTimeout(timer));
    },
    defer: (why) => void (deferred = why),
    release: stopListening,
  };
}

function reportInterrupted(signal: NodeJS.Signals): void {
  const message = `interrupted (${signal}) before hh.ru redirected back; nothing was sent to hh.ru and nothing was stored`;
  if (isJsonMode()) process.stdout.write(JSON.stringify({ error: { code: 'interrupted', message } }) + '\n');
  log.warn(message);
  process.exitCode = SIGNAL_EXIT[signal] ?? 130;
}
