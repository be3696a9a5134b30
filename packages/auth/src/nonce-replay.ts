/**
 * Single use of a digest (nonce, nc) pair (#12): a verified response is
 * accepted once; the same (nonce, nc) again is a replay and gets a
 * `stale=true` challenge. Pairs are kept for the rest of the nonce's lifetime
 * (after that the nonce itself is stale). Each claim names its holder — the
 * request's transaction (the edge's stateless branch) — so a UDP
 * retransmission of the accepted request is accepted again (RFC 3261 §17.2:
 * a retransmission is the same request, not a replay).
 *
 * - `MemoryReplayGuard`: a bounded Map with expiry; when full of live pairs it
 *   fails closed (the answer is a fresh challenge, never an acceptance).
 * - `RedisReplayGuard`: `SET <prefix>:nc:<nonce>:<nc> 1 PX ttl NX`, shared by
 *   every edge node; on a Redis error it falls back to its memory guard.
 */
import type { Redis } from 'ioredis';

export interface ReplayGuard {
  /** true the first time (nonce, nc) is seen within `ttlMs`, or again for the same holder; false for a replay */
  claim(nonce: string, nc: string, ttlMs: number, holder: string): Promise<boolean>;
}

export class MemoryReplayGuard implements ReplayGuard {
  private readonly seen = new Map<string, { until: number; holder: string }>();

  constructor(
    private readonly maxEntries = 500_000,
    private readonly now: () => number = Date.now,
  ) {}

  claim(nonce: string, nc: string, ttlMs: number, holder: string): Promise<boolean> {
    return Promise.resolve(this.claimSync(nonce, nc, ttlMs, holder));
  }

  claimSync(nonce: string, nc: string, ttlMs: number, holder: string): boolean {
    const key = `${nonce}:${nc.toLowerCase()}`;
    const now = this.now();
    const held = this.seen.get(key);
    if (held !== undefined && held.until > now) return held.holder === holder;
    if (this.seen.size >= this.maxEntries) {
      for (const [k, e] of this.seen) if (e.until <= now) this.seen.delete(k);
      if (this.seen.size >= this.maxEntries) return false; // fail closed
    }
    this.seen.set(key, { until: now + ttlMs, holder });
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}

export class RedisReplayGuard implements ReplayGuard {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly fallback: MemoryReplayGuard = new MemoryReplayGuard(),
  ) {}

  async claim(nonce: string, nc: string, ttlMs: number, holder: string): Promise<boolean> {
    const key = `${this.prefix}:nc:${nonce}:${nc.toLowerCase()}`;
    try {
      const r = await this.redis.set(key, holder, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX');
      return r === 'OK' || (await this.redis.get(key)) === holder;
    } catch {
      return this.fallback.claimSync(nonce, nc, ttlMs, holder);
    }
  }
}
