/**
 * Per-source token buckets (Kamailio `pike`-like). Memory is bounded: at most
 * `maxSources` buckets; when full, buckets idle long enough to be full again
 * are swept, and if none are, the oldest-touched are dropped first (a Map
 * keeps insertion order and we re-insert on touch).
 */
export interface RateLimitOptions {
  /** sustained requests per second per source */
  ratePerSecond: number;
  /** bucket size: the burst a source may send at once */
  burst: number;
  maxSources: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;

  constructor(private readonly options: RateLimitOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Take one token for `key`; false when the source is over its rate. */
  take(key: string): boolean {
    const now = this.now();
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.options.maxSources) this.evict(now);
      b = { tokens: this.options.burst, updatedAt: now };
    } else {
      this.buckets.delete(key); // re-inserted below: most recently used last
      const refill = ((now - b.updatedAt) / 1000) * this.options.ratePerSecond;
      b.tokens = Math.min(this.options.burst, b.tokens + refill);
      b.updatedAt = now;
    }
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  get trackedSources(): number {
    return this.buckets.size;
  }

  private evict(now: number): void {
    const fullAfterMs = (this.options.burst / this.options.ratePerSecond) * 1000;
    for (const [key, b] of this.buckets) {
      if (now - b.updatedAt >= fullAfterMs) this.buckets.delete(key);
    }
    // still full: drop the least recently used tenth
    if (this.buckets.size >= this.options.maxSources) {
      let n = Math.max(1, Math.floor(this.options.maxSources / 10));
      for (const key of this.buckets.keys()) {
        this.buckets.delete(key);
        if (--n === 0) break;
      }
    }
  }
}
