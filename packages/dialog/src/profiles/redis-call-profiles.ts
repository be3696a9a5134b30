import type { Logger } from 'pino';
import type { RedisClient } from '@strata/redis';
import { RedisKeys } from '../store/redis-keys.js';
import { runScript, type LuaScript } from '../store/redis-scripts.js';
import { silentLogger } from '../store/silent-logger.js';
import { DEFAULT_PROFILE_ENTRY_TTL_MS, type CallProfiles } from './call-profiles.js';
import { MemoryCallProfiles } from './memory-call-profiles.js';
import { createHash } from 'node:crypto';

function lua(source: string): LuaScript {
  return { source, keys: 1, sha: createHash('sha1').update(source).digest('hex') };
}

/** Server time, so nodes with skewed clocks agree on expiry. */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
`;
const KEEP_KEY = `if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
`;

/** ZSET member = dialog id, score = expiry. ARGV: id, ttl, limit. */
const ACQUIRE = lua(
  `${NOW}if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
${KEEP_KEY}return 1`,
);

/** ARGV: id, ttl. */
const REFRESH = lua(
  `${NOW}if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
${KEEP_KEY}return 1`,
);

const MEMBERS = lua(`${NOW}return redis.call('ZRANGE', KEYS[1], 0, -1)`);

export interface RedisCallProfilesOptions {
  /** e.g. `RedisDialogStore.redis` or `createRedisClient(config)`; not closed by this class. */
  readonly redis: RedisClient;
  readonly keyPrefix?: string;
  readonly entryTtlMs?: number;
  readonly logger?: Logger;
}

/**
 * Cluster-wide call profiles: one sorted set per key, one member per dialog, scored by
 * expiry (Redis server time). While Redis is unreachable it counts in a local table
 * (per-node limits are better than refusing every call or allowing unlimited ones).
 */
export class RedisCallProfiles implements CallProfiles {
  private readonly redis: RedisClient;
  private readonly keys: RedisKeys;
  private readonly entryTtlMs: number;
  private readonly fallback: MemoryCallProfiles;
  private readonly log: Logger;

  constructor(options: RedisCallProfilesOptions) {
    this.redis = options.redis;
    this.keys = new RedisKeys(options.keyPrefix ?? 'strata:');
    this.entryTtlMs = options.entryTtlMs ?? DEFAULT_PROFILE_ENTRY_TTL_MS;
    this.fallback = new MemoryCallProfiles({ entryTtlMs: this.entryTtlMs });
    this.log = (options.logger ?? silentLogger()).child({ component: 'call-profiles' });
  }

  async tryAcquire(key: string, dialogId: string, limit: number, ttlMs?: number): Promise<boolean> {
    const ttl = ttlMs ?? this.entryTtlMs;
    try {
      const ok = await runScript(this.redis, ACQUIRE, [
        this.keys.profile(key),
        dialogId,
        ttl,
        limit,
      ]);
      return ok === 1;
    } catch (err) {
      this.warn(err, 'tryAcquire');
      return this.fallback.tryAcquire(key, dialogId, limit, ttl);
    }
  }

  async refresh(key: string, dialogId: string, ttlMs?: number): Promise<boolean> {
    const ttl = ttlMs ?? this.entryTtlMs;
    try {
      return (await runScript(this.redis, REFRESH, [this.keys.profile(key), dialogId, ttl])) === 1;
    } catch (err) {
      this.warn(err, 'refresh');
      return this.fallback.refresh(key, dialogId, ttl);
    }
  }

  async release(key: string, dialogId: string): Promise<void> {
    await this.fallback.release(key, dialogId);
    try {
      await this.redis.zrem(this.keys.profile(key), dialogId);
    } catch (err) {
      this.warn(err, 'release');
    }
  }

  async count(key: string): Promise<number> {
    return (await this.members(key)).length;
  }

  async members(key: string): Promise<string[]> {
    try {
      return (await runScript(this.redis, MEMBERS, [this.keys.profile(key)])) as string[];
    } catch (err) {
      this.warn(err, 'members');
      return this.fallback.members(key);
    }
  }

  async reconcile(key: string, liveDialogIds: Iterable<string>): Promise<number> {
    const live = new Set(liveDialogIds);
    // Only ids read here are removed, so a member added concurrently is never lost.
    const dead = (await this.members(key)).filter((id) => !live.has(id));
    if (dead.length === 0) return 0;
    await this.fallback.reconcile(key, live);
    try {
      await this.redis.zrem(this.keys.profile(key), ...dead);
    } catch (err) {
      this.warn(err, 'reconcile');
    }
    return dead.length;
  }

  private warn(err: unknown, op: string): void {
    this.log.warn({ err, op }, 'redis unavailable, counting call profiles locally');
  }
}
