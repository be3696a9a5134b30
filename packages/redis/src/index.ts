export {
  createRedisClient,
  type ClientRole,
  type ClusterRedisConfig,
  type RedisClient,
  type RedisConfig,
  type RedisHostPort,
  type SentinelRedisConfig,
  type StandaloneRedisConfig,
} from './client.js';
export { keepSubscribed } from './subscription.js';
export { scanKeys } from './scan.js';
