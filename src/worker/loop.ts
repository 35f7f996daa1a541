import type { Config } from '../config/config';
import { toHhOauthError } from '../errors';
import { refreshIfDue } from '../lifecycle/refresh';
import { selectedTokenState, tokenStates, type TokenState } from '../lifecycle/token-states';
import type { WorkerLog } from './events';
import { afterFailure, afterNotDue, afterRefreshed, dueAt, observe, type ProfilePlan, rereadMs, sleepMs } from './schedule';

/**
 * `refresh --watch`: read the profiles, refresh the due ones through lifecycle/ (the write
 * protocol, either store), sleep until the next expiry or back-off, and again; re-reading
 * the store at every wake and, when nothing is due sooner, every 10 s to 2 minutes
 * (rereadMs: more often when a read is cheap). stop() ends it between refreshes:
 * a refresh in flight finishes and stores its pair first (the write protocol also holds
 * the signal meanwhile).
 */
export interface WorkerSettings {
  /** Every profile (`--all`), or the selected one. */
  all: boolean;
  /** Refreshes at a time with --all. */
  concurrency: number;
}

export class Worker {
  readonly plans = new Map<string, ProfilePlan>();
  readonly startedAt = Date.now();
  /** True once the store has been read: /healthz's ready. */
  ready = false;
  /** The last time reading the store failed, with why; cleared by the next good read. */
  listingProblem?: string;
  private stopSignal?: string;
  /** How long the last read of the store took: it sets how often the store is read (rereadMs). */
  private lastReadMs = 0;
  private wake?: () => void;

  constructor(
    private readonly config: Config,
    private readonly settings: WorkerSettings,
    private readonly log: WorkerLog,
  ) {}

  stop(signal: string): void {
    if (this.stopSignal) return;
    this.stopSignal = signal;
    this.log.stopping(signal);
    this.wake?.();
  }

  get stopping(): boolean {
    return this.stopSignal !== undefined;
  }

  async run(): Promise<void> {
    while (!this.stopping) {
      await this.reread();
      const now = Date.now();
      const due = [...this.plans.values()].filter((p) => (dueAt(p) ?? Infinity) <= now).map((p) => p.name);
      await this.eachBounded(due, (name) => this.attempt(name));
      if (this.stopping) break;
      await this.sleep(sleepMs(this.plans.values(), Date.now(), rereadMs(this.lastReadMs)));
    }
    this.log.stopped();
  }

  /** The store as it is now; a plan whose content is unchanged keeps its back-off or block. */
  private async reread(): Promise<void> {
    const started = Date.now();
    const seen = new Set<string>();
    const take = (s: TokenState) => {
      seen.add(s.name);
      this.plans.set(s.name, observe(this.plans.get(s.name), { name: s.name, fingerprint: s.fingerprint, state: s.state, expiresAt: s.expiresAt?.getTime(), obtainedAt: s.obtainedAt?.getTime() }));
    };
    try {
      if (this.settings.all) for await (const s of tokenStates(this.config)) take(s);
      else take(await selectedTokenState(this.config));
    } catch (err) {
      // The listing itself failed (a directory we may not read): keep what we knew, try again at the next wake.
      const e = toHhOauthError(err);
      this.lastReadMs = Date.now() - started;
      if (this.listingProblem !== e.message) this.log.failed('(listing)', e, rereadMs(this.lastReadMs));
      this.listingProblem = e.message;
      return;
    }
    this.lastReadMs = Date.now() - started;
    this.listingProblem = undefined;
    for (const name of [...this.plans.keys()]) if (!seen.has(name)) this.plans.delete(name);
    this.ready = true;
  }

  private async attempt(name: string): Promise<void> {
    const config = this.settings.all ? this.config.forProfile(name) : this.config;
    try {
      const outcome = await refreshIfDue(config, { quiet: true });
      const plan = this.plans.get(name)!;
      const now = Date.now();
      if (outcome.status === 'refreshed') {
        this.plans.set(name, afterRefreshed(plan, outcome.expiresAt.getTime(), now));
        this.log.refreshed(name, outcome.expiresAt);
        return;
      }
      const next = afterNotDue(plan, outcome.expiresAt.getTime(), now);
      this.plans.set(name, next);
      if (next.last?.outcome === 'skew_retry') this.log.skewRetry(name, outcome.expiresAt, next.retryAt! - now);
      else this.log.notDue(name, outcome.expiresAt);
    } catch (err) {
      const e = toHhOauthError(err);
      const now = Date.now();
      const next = afterFailure(this.plans.get(name)!, e.code, now, e.requestId);
      this.plans.set(name, next);
      this.log.failed(name, e, next.retryAt === undefined ? undefined : next.retryAt - now);
    }
  }

  /** At most `concurrency` at a time; after stop() no new one starts, and the ones running finish. */
  private async eachBounded(names: string[], fn: (name: string) => Promise<void>): Promise<void> {
    const running = new Set<Promise<void>>();
    for (const name of names) {
      if (this.stopping) break;
      const task: Promise<void> = fn(name).finally(() => running.delete(task));
      running.add(task);
      if (running.size >= this.settings.concurrency) await Promise.race(running);
    }
    await Promise.all(running);
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}
