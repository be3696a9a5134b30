import { createHash } from 'node:crypto';
import type { RedisClient } from '@strata/redis';

export interface LuaScript {
  readonly source: string;
  readonly sha: string;
  readonly keys: number;
}

function lua(keys: number, source: string): LuaScript {
  return { source, keys, sha: createHash('sha1').update(source).digest('hex') };
}

/** Runs by EVALSHA and falls back to EVAL once when the server lost its script cache. */
export async function runScript(
  client: RedisClient,
  script: LuaScript,
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await client.evalsha(script.sha, script.keys, ...args);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
      return client.eval(script.source, script.keys, ...args);
    }
    throw err;
  }
}

/**
 * Versioned write (compare-and-set). KEYS: dialog. ARGV: version, json, pttl, channel, msg.
 * A tombstone (d == '') keeps its version, so a stale write cannot resurrect a deleted dialog.
 */
export const PUT_DIALOG = lua(
  1,
  `local cur = redis.call('HGET', KEYS[1], 'v')
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return {0, cur} end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return {1, ARGV[1]}`,
);

/** KEYS: dialog, lease. ARGV: version, tombstone pttl, channel, msg. */
export const DELETE_DIALOG = lua(
  2,
  `local cur = redis.call('HGET', KEYS[1], 'v')
if cur and tonumber(cur) > tonumber(ARGV[1]) then return {0, cur} end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', '')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return {1, ARGV[1]}`,
);

/** KEYS: index. ARGV: id, pttl. Only ever lengthens the index TTL. */
export const INDEX_ADD = lua(
  1,
  `redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`,
);

/** KEYS: lease. ARGV: node, ttl. */
export const LEASE_ACQUIRE = lua(
  1,
  `local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`,
);

/** KEYS: lease. ARGV: node, ttl. */
export const LEASE_RENEW = lua(
  1,
  `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`,
);

/** KEYS: lease. ARGV: node. */
export const LEASE_RELEASE = lua(
  1,
  `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`,
);
