import type { Reply } from './types';

/**
 * hh.ru's per-IP limit (about 10 requests per second, HH-FACTS.md), for `--rate-limit N`.
 *
 * Beyond it hh.ru answers 429 or its DDoS-guard HTML page. The sandbox answers both at
 * once: HTTP 429 with that HTML page and a Retry-After. The page rather than a JSON body,
 * because the limit is enforced at hh.ru's edge, in front of the API, whose documented
 * errors have no value for it (a JSON errors[] entry would be an invented one); and 429
 * because that is what a client must recognise in either case.
 *
 * Per IP, a token bucket of N requests (one at least), refilled at N per second: the rate
 * is N per second, and N may arrive at once. hh.ru does not publish its mechanism; a bucket is what front
 * ends such as nginx's limit_req do, and it judges a client's rate rather than the accidents
 * of scheduling (a paced client's requests bunch when either process stalls for a moment;
 * a strict one-second window would call that exceeding the limit).
 */
export class RateLimit {
  private readonly buckets = new Map<string, { tokens: number; updated: number }>();
  private readonly capacity: number;

  constructor(
    readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.capacity = Math.max(1, perSecond);
  }

  /** True when this request from `ip` is over the limit; one that is not takes its token. */
  exceeded(ip: string): boolean {
    const now = this.now();
    const bucket = this.buckets.get(ip) ?? { tokens: this.capacity, updated: now };
    bucket.tokens = Math.min(this.capacity, bucket.tokens + ((now - bucket.updated) * this.perSecond) / 1000);
    bucket.updated = now;
    this.buckets.set(ip, bucket);
    if (bucket.tokens < 1) return true;
    bucket.tokens -= 1;
    return false;
  }

  /** The answer beyond the limit: 429, the edge's HTML page, and when to come back. */
  reply(): Reply {
    const retryAfter = Math.max(1, Math.ceil(1 / this.perSecond));
    return {
      status: 429,
      headers: { 'content-type': 'text/html; charset=utf-8', 'retry-after': String(retryAfter) },
      body: `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>429 - hh.ru</title></head>
<body><h1>Подозрительный трафик / Suspicious traffic</h1>
<p>Sandbox rate limit: more than ${this.perSecond} requests per second from this address. Try again later.</p></body></html>
`,
    };
  }
}
