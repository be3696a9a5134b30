/**
 * Bindings shared by every core through Redis: one hash per AoR
 * (`<prefix>:loc:{<aor>}`), one field per contact holding the binding as JSON.
 * The key expires with its longest-lived binding, so Redis keeps no stale AoRs.
 */
import type { Redis, Cluster } from 'ioredis';
import type { Binding } from './binding.js';
import type { LocationStore } from './location-store.js';

export class RedisLocationStore implements LocationStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix = 'strata',
    private readonly now: () => number = Date.now,
  ) {}

  private key(aor: string): string {
    return `${this.prefix}:loc:{${aor}}`;
  }

  async get(aor: string): Promise<Binding[]> {
    const fields = await this.redis.hgetall(this.key(aor));
    const now = this.now();
    const live: Binding[] = [];
    const expired: string[] = [];
    for (const [contact, json] of Object.entries(fields)) {
      const b = JSON.parse(json) as Binding;
      if (b.expiresAt > now) live.push(b);
      else expired.push(contact);
    }
    if (expired.length > 0) await this.redis.hdel(this.key(aor), ...expired);
    return live;
  }

  async upsert(binding: Binding): Promise<void> {
    const key = this.key(binding.aor);
    const ttl = Math.max(1, binding.expiresAt - this.now());
    // Extend the key's TTL only upwards: PEXPIRE GT (Redis ≥ 7) keeps the longest binding alive.
    await this.redis
      .multi()
      .hset(key, binding.contact, JSON.stringify(binding))
      .pexpire(key, ttl, 'GT')
      .pexpire(key, ttl, 'NX')
      .exec();
  }

  async remove(aor: string, contact: string): Promise<void> {
    await this.redis.hdel(this.key(aor), contact);
  }

  async removeAll(aor: string): Promise<void> {
    await this.redis.del(this.key(aor));
  }

  async listAors(): Promise<string[]> {
    const out: string[] = [];
    const nodes =
      'nodes' in this.redis && typeof this.redis.nodes === 'function'
        ? this.redis.nodes('master')
        : [this.redis as Redis];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${this.prefix}:loc:*`, 'COUNT', 500);
        cursor = next;
        for (const k of keys) {
          const aor = /\{(.*)\}$/.exec(k)?.[1];
          if (aor !== undefined && (await this.get(aor)).length > 0) out.push(aor);
        }
      } while (cursor !== '0');
    }
    return out;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
