import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

export interface RedisHostPort {
  readonly host: string;
  readonly port: number;
}

interface CommonRedisConfig {
  readonly password?: string;
  readonly username?: string;
  /** Upper bound for any one command; a hung Redis must not hang SIP handling. */
  readonly commandTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** Reconnect backoff cap. */
  readonly maxReconnectDelayMs?: number;
  readonly tls?: boolean;
}

export interface StandaloneRedisConfig extends CommonRedisConfig {
  readonly mode: 'standalone';
  readonly host: string;
  readonly port: number;
  readonly db?: number;
}

export interface SentinelRedisConfig extends CommonRedisConfig {
  readonly mode: 'sentinel';
  readonly sentinels: readonly RedisHostPort[];
  /** Master group name. */
  readonly name: string;
  readonly sentinelPassword?: string;
  readonly db?: number;
}

export interface ClusterRedisConfig extends CommonRedisConfig {
  readonly mode: 'cluster';
  readonly nodes: readonly RedisHostPort[];
}

export type RedisConfig = StandaloneRedisConfig | SentinelRedisConfig | ClusterRedisConfig;

export type RedisClient = Redis | Cluster;

export interface ClientRole {
  /**
   * Subscribers queue SUBSCRIBE until connected and re-subscribe after a reconnect through
   * keepSubscribed (ioredis's own auto-resubscribe is off: see there); command clients fail
   * fast instead so callers fall back to the local copy.
   */
  readonly subscriber?: boolean;
}

/**
 * Builds an ioredis client that never hangs a caller: no offline queue (commands fail at
 * once while disconnected), one retry per request, a command timeout, and reconnects
 * forever with capped exponential backoff.
 */
export function createRedisClient(config: RedisConfig, role: ClientRole = {}): RedisClient {
  const maxDelay = config.maxReconnectDelayMs ?? 2_000;
  const base: RedisOptions = {
    enableOfflineQueue: role.subscriber === true,
    maxRetriesPerRequest: role.subscriber === true ? null : 1,
    autoResubscribe: false,
    connectTimeout: config.connectTimeoutMs ?? 2_000,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
    lazyConnect: false,
  };
  if (role.subscriber !== true) base.commandTimeout = config.commandTimeoutMs ?? 1_000;
  if (config.password !== undefined) base.password = config.password;
  if (config.username !== undefined) base.username = config.username;
  if (config.tls === true) base.tls = {};

  switch (config.mode) {
    case 'standalone': {
      const o: RedisOptions = { ...base, host: config.host, port: config.port };
      if (config.db !== undefined) o.db = config.db;
      return new Redis(o);
    }
    case 'sentinel': {
      const o: RedisOptions = {
        ...base,
        sentinels: config.sentinels.map((s) => ({ host: s.host, port: s.port })),
        name: config.name,
        sentinelRetryStrategy: base.retryStrategy!,
      };
      if (config.sentinelPassword !== undefined) o.sentinelPassword = config.sentinelPassword;
      if (config.db !== undefined) o.db = config.db;
      return new Redis(o);
    }
    case 'cluster': {
      const o: ClusterOptions = {
        enableOfflineQueue: base.enableOfflineQueue!,
        clusterRetryStrategy: base.retryStrategy!,
        redisOptions: base,
      };
      return new Cluster(
        config.nodes.map((n) => ({ host: n.host, port: n.port })),
        o,
      );
    }
  }
}
