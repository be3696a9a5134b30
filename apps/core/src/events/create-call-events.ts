/** Builds the configured call-event sinks and their delivery workers (issue #14). */
import { RedisDialogStore } from '@strata/dialog';
import { createRedisClient, type RedisClient } from '@strata/redis';
import type { Logger } from 'pino';
import type { CoreConfig } from '../config.js';
import type { CoreStores } from '../dialogs/stores.js';
import { CallEvents } from './call-events.js';
import { DeliveryWorker } from './delivery-worker.js';
import { RedisStreamEventSink } from './redis-stream-sink.js';
import { WebhookSink } from './webhook-sink.js';

export function createCallEvents(
  config: Pick<CoreConfig, 'nodeId' | 'events' | 'store'>,
  stores: Pick<CoreStores, 'dialogs'>,
  logger: Logger,
): CallEvents {
  const log = logger.child({ component: 'events' });
  const workers: DeliveryWorker[] = [];
  const rs = config.events.redisStream;
  if (rs.enabled) {
    const shared = sharedRedis(stores);
    const r = config.store.redis;
    const redis =
      shared ??
      createRedisClient({
        mode: 'standalone',
        host: r.host,
        port: r.port,
        db: r.db,
        ...(r.password !== undefined ? { password: r.password } : {}),
      });
    const sink = new RedisStreamEventSink({
      redis,
      stream: rs.stream,
      maxLen: rs.maxLen,
      owned: shared === null,
    });
    workers.push(new DeliveryWorker(sink, rs, log));
  }
  const wh = config.events.webhook;
  if (wh.url !== '')
    workers.push(
      new DeliveryWorker(
        new WebhookSink({ url: wh.url, timeoutMs: wh.timeoutMs, token: wh.token }),
        wh,
        log,
      ),
    );
  return new CallEvents(config.nodeId, workers, log);
}

/** The store's own Redis client when the dialogs live in Redis. */
export function sharedRedis(stores: Pick<CoreStores, 'dialogs'>): RedisClient | null {
  return stores.dialogs instanceof RedisDialogStore ? stores.dialogs.redis : null;
}
