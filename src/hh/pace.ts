/**
 * One pace for everything this process sends to hh.ru: HH_RATE_LIMIT requests per second
 * (`refresh --all --rate N` for one run), shared by every request of every profile, retries
 * included. hh.ru limits requests per IP, reportedly near 10 per second, and answers 429 or
 * its DDoS-guard page beyond that (HH-FACTS.md); `refresh --all` would otherwise send as
 * fast as --concurrency allows.
 *
 * A token bucket:
 * - DEFAULT_RATE, 5 per second: half of hh.ru's limit, leaving the rest of it to whatever
 *   else on the host talks to hh.ru (the bot that uses the token; another hh-oauth process,
 *   which paces only itself);
 * - a burst of BURST (3) at most, and no more than one second's worth (one at least): a command that
 *   sends one to three requests (refresh; whoami refreshing first and retrying once) never
 *   waits, and at the default no one-second window holds more than 3 + 5 = 8 requests.
 * `0` means unpaced.
 */
export const DEFAULT_RATE = 5;

/** Milliseconds on a monotonic clock. Not performance.now(): its first use loads perf_hooks (eight of Node's modules) into every refresh. */
const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;
export const BURST = 3;

export class Pacer {
  readonly burst: number;
  private tokens: number;
  private updated: number;

  constructor(
    readonly rate: number,
    private readonly now: () => number = monotonicMs,
  ) {
    this.burst = Math.max(1, Math.min(BURST, Math.floor(rate)));
    this.tokens = this.burst;
    this.updated = now();
  }

  /**
   * Milliseconds until the caller may send. The slot is taken at once (the bucket may go
   * into debt), so callers are served in the order they asked, each waiting one interval
   * longer than the one before it.
   */
  reserve(): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updated) * this.rate) / 1000);
    this.updated = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.rate;
  }
}

let shared: Pacer | undefined;

/** Resolves when this process may send its next request at `rate` per second (0: at once). */
export async function paced(rate: number): Promise<void> {
  if (!(rate > 0)) return;
  // The rate is one setting per process; should it differ between calls, the newest wins.
  if (shared?.rate !== rate) shared = new Pacer(rate);
  const wait = shared.reserve();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.ceil(wait)));
}
