/**
 * The state stores a core runs on: in memory (the embedded default) or in
 * Redis shared by the cluster (dialogs, locations, CDR once-flags, profiles).
 */
import {
  CdrWriter,
  JsonLinesCdrSink,
  MemoryCallProfiles,
  MemoryDialogStore,
  RedisCallProfiles,
  RedisDialogStore,
  RedisStreamCdrSink,
  type CallProfiles,
  type CdrSink,
  type DialogStore,
} from '@strata/dialog';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { CdrFields, EnrichingCdrSink } from '../lcr/cdr-fields.js';
import type { CoreConfig } from '../config.js';
import type { LocationStore } from '../registrar/location-store.js';
import { MemoryLocationStore } from '../registrar/memory-location-store.js';
import { FallbackLocationStore } from '../registrar/fallback-location-store.js';
import { RedisLocationStore } from '../registrar/redis-location-store.js';

export interface CoreStores {
  dialogs: DialogStore;
  locations: LocationStore;
  profiles: CallProfiles;
  cdr: CdrWriter;
  kind: 'memory' | 'redis';
  /** extra CDR fields by Call-ID (LCR carrier and attempts) */
  cdrFields: CdrFields;
  /** the shared Redis client (store: redis), for feature data such as forwarding settings */
  redis: HashClient | null;
  /** 'degraded': Redis fails and the core runs on its local copies */
  status(): 'ok' | 'degraded';
  close(): Promise<void>;
}

/** The Redis hash commands feature stores use. */
export interface HashClient {
  hget(key: string, field: string): Promise<string | null>;
  hset(key: string, field: string, value: string): Promise<number>;
  hdel(key: string, field: string): Promise<number>;
  hgetall(key: string): Promise<Record<string, string>>;
}

export function createStores(config: CoreConfig, logger: Logger): CoreStores {
  const cdrFields = new CdrFields();
  const sinks: CdrSink[] = [];
  if (config.cdr.file !== '') {
    mkdirSync(dirname(config.cdr.file), { recursive: true });
    sinks.push(new EnrichingCdrSink(new JsonLinesCdrSink(config.cdr.file), cdrFields));
  }
  if (config.store.kind === 'memory') {
    const dialogs = new MemoryDialogStore({ node: config.nodeId, logger });
    return {
      dialogs,
      locations: new MemoryLocationStore(),
      profiles: new MemoryCallProfiles(),
      cdr: new CdrWriter({ store: dialogs, sinks, coreNode: config.nodeId, logger }),
      kind: 'memory',
      cdrFields,
      redis: null,
      status: () => 'ok',
      close: () => dialogs.close(),
    };
  }
  const r = config.store.redis;
  const redis =
    r.cluster !== undefined
      ? { mode: 'cluster' as const, nodes: r.cluster }
      : r.sentinels !== undefined
        ? {
            mode: 'sentinel' as const,
            sentinels: r.sentinels,
            name: r.sentinelName ?? 'mymaster',
            db: r.db,
          }
        : { mode: 'standalone' as const, host: r.host, port: r.port, db: r.db };
  const dialogs = new RedisDialogStore({
    node: config.nodeId,
    redis: r.password !== undefined ? { ...redis, password: r.password } : redis,
    keyPrefix: `${r.keyPrefix}:`,
    logger,
  });
  if (config.cdr.redisStream)
    sinks.push(new EnrichingCdrSink(new RedisStreamCdrSink({ redis: dialogs.redis }), cdrFields));
  const locations = new FallbackLocationStore(
    new RedisLocationStore(dialogs.redis, r.keyPrefix),
    logger.child({ component: 'location' }),
  );
  return {
    dialogs,
    locations,
    profiles: new RedisCallProfiles({ redis: dialogs.redis }),
    cdr: new CdrWriter({ store: dialogs, sinks, coreNode: config.nodeId, logger }),
    kind: 'redis',
    cdrFields,
    redis: dialogs.redis,
    status: () => (dialogs.status() === 'degraded' || locations.isDegraded ? 'degraded' : 'ok'),
    close: () => dialogs.close(),
  };
}
