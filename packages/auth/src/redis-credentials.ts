/**
 * Credentials from a Redis hash per user, shared by the edges and the cores'
 * registrar: `<prefix>:user:<username>` with field `password` (clear text)
 * or `ha1_md5` / `ha1_sha256` (precomputed H(username:realm:password), so
 * Redis need not hold passwords). A short in-process cache keeps a flood of
 * guesses from turning into a flood of Redis reads.
 */
import type { Redis } from 'ioredis';
import type { CredentialSource, Credentials } from './credentials.js';

export class RedisCredentials implements CredentialSource {
  private readonly cache = new Map<string, { creds: Credentials | undefined; until: number }>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'strata',
    private readonly cacheMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  async lookup(username: string): Promise<Credentials | undefined> {
    const hit = this.cache.get(username);
    if (hit !== undefined && hit.until > this.now()) return hit.creds;
    const h = await this.redis.hgetall(`${this.prefix}:user:${username}`);
    let creds: Credentials | undefined;
    if (h.password !== undefined || h.ha1_md5 !== undefined || h.ha1_sha256 !== undefined) {
      creds = {
        ...(h.password !== undefined ? { password: h.password } : {}),
        ha1: {
          ...(h.ha1_md5 !== undefined ? { MD5: h.ha1_md5 } : {}),
          ...(h.ha1_sha256 !== undefined ? { 'SHA-256': h.ha1_sha256 } : {}),
        },
      };
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(username, { creds, until: this.now() + this.cacheMs });
    return creds;
  }
}
