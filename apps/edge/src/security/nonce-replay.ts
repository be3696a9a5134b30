/**
 * Single use of a digest (nonce, nc) pair (#12): a verified response is
 * accepted once; the same (nonce, nc) again is a replay and gets a
 * `stale=true` challenge. Pairs are kept for the rest of the nonce's lifetime
 * (after that the nonce itself is stale).
 *
 * - `MemoryReplayGuard`: a bounded Map with expiry; when full of live pairs it
 *   fails closed (the answer is a fresh challenge, never an acceptance).
 * - `RedisReplayGuard`: `SET <prefix>:nc:<nonce>:<nc> 1 PX ttl NX`, shared by
 *   every edge node; on a Redis error it falls back to its memory guard.
 */
import type { Redis } from 'ioredis';

export interface ReplayGuard {
  /** true the first time (nonce, nc) is seen within `ttlMs`; false for a replay */
  claim(nonce: string, nc: string, ttlMs: number): Promise<boolean>;
}

export class MemoryReplayGuard implements ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly maxEntries = 500_000,
    private readonly now: () => number = Date.now,
  ) {}

  claim(nonce: string, nc: string, ttlMs: number): Promise<boolean> {
    return Promise.resolve(this.claimSync(nonce, nc, ttlMs));
  }

  claimSync(nonce: string, nc: string, ttlMs: number): boolean {
    const key = `${nonce}:${nc.toLowerCase()}`;
    const now = this.now();
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return false;
    if (this.seen.size >= this.maxEntries) {
      for (const [k, u] of this.seen) if (u <= now) this.seen.delete(k);
      if (this.seen.size >= this.maxEntries) return false; // fail closed
    }
    this.seen.set(key, now + ttlMs);
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

  async claim(nonce: string, nc: string, ttlMs: number): Promise<boolean> {
    try {
      const r = await this.redis.set(
        `${this.prefix}:nc:${nonce}:${nc.toLowerCase()}`,
        '1',
        'PX',
        Math.max(1, Math.ceil(ttlMs)),
        'NX',
      );
      return r === 'OK';
    } catch {
      return this.fallback.claimSync(nonce, nc, ttlMs);
    }
  }
}
