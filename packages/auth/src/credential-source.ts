/**
 * The credential source a config names: the Redis hash when `redis` is set (it wins), else
 * the users file, else nobody. The edge's `auth` block and the core's `registrar.auth` block
 * have the same two keys, so pointing both at one file or one Redis serves both.
 */
import { Redis } from 'ioredis';
import { StaticCredentials, loadUsersFile, type CredentialSource } from './credentials.js';
import { RedisCredentials } from './redis-credentials.js';

export interface CredentialConfig {
  usersFile?: string | undefined;
  redis?:
    { host: string; port: number; password?: string | undefined; keyPrefix: string } | undefined;
}

export interface OpenedCredentials {
  source: CredentialSource;
  /** the Redis connection behind `source` (null: the users file), e.g. for a shared replay guard */
  redis: Redis | null;
  /** drops the Redis connection, if one was opened */
  close(): void;
}

export function openCredentialSource(config: CredentialConfig): OpenedCredentials {
  const r = config.redis;
  if (r !== undefined) {
    const redis = new Redis({
      host: r.host,
      port: r.port,
      ...(r.password !== undefined ? { password: r.password } : {}),
      // a lookup must fail fast, never hang a request
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: false,
    });
    // a Redis outage is a failed lookup per request (answered with a challenge), not a crash
    redis.on('error', () => {});
    return {
      source: new RedisCredentials(redis, r.keyPrefix),
      redis,
      close: () => redis.disconnect(),
    };
  }
  const users =
    config.usersFile !== undefined ? loadUsersFile(config.usersFile) : new Map<string, never>();
  return { source: new StaticCredentials(users), redis: null, close: () => {} };
}
