/**
 * Shared security state for one edge node (the single process or the cluster
 * primary): with Redis (`security.redis`, else `auth.redis`) bans are shared with
 * the other edge nodes and (nonce, nc) pairs are claimed with SET NX; without it
 * both stay in this process's memory. Cluster workers reach this over IPC
 * (`IpcReplayGuard`, SecurityReport messages).
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { EdgeConfig } from '../config.js';
import type { BanList } from './ban-list.js';
import { securityRedis } from './edge-security.js';
import { MemoryReplayGuard, RedisReplayGuard, type ReplayGuard } from '@strata/auth';
import { RedisBanSync } from './redis-bans.js';

export interface SharedSecurity {
  replay: ReplayGuard;
  start(): Promise<void>;
  stop(): void;
}

export function sharedSecurity(config: EdgeConfig, bans: BanList, logger: Logger): SharedSecurity {
  const shared = securityRedis(config);
  if (shared === undefined)
    return { replay: new MemoryReplayGuard(), start: () => Promise.resolve(), stop: () => {} };
  const opts = {
    host: shared.host,
    port: shared.port,
    ...(shared.password !== undefined ? { password: shared.password } : {}),
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  };
  const main = new Redis(opts);
  // autoResubscribe off: RedisBanSync re-subscribes through @strata/redis keepSubscribed
  const sub = new Redis({
    ...opts,
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
    autoResubscribe: false,
  });
  for (const r of [main, sub]) r.on('error', () => undefined);
  const sync = new RedisBanSync(main, sub, shared.keyPrefix, bans, logger);
  return {
    replay: new RedisReplayGuard(main, shared.keyPrefix),
    start: () => sync.start(),
    stop: () => {
      main.disconnect();
      sub.disconnect();
    },
  };
}

/** A cluster worker's replay guard: the primary holds the set; no answer in time → replay (fail closed). */
export class IpcReplayGuard implements ReplayGuard {
  private seq = 0;
  private readonly waits = new Map<number, (fresh: boolean) => void>();

  constructor(
    private readonly send: (m: {
      t: 'nc?';
      id: number;
      key: string;
      nc: string;
      ttlMs: number;
      holder: string;
    }) => void,
    private readonly timeoutMs = 1_000,
  ) {}

  claim(nonce: string, nc: string, ttlMs: number, holder: string): Promise<boolean> {
    const id = ++this.seq;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waits.delete(id);
        resolve(false);
      }, this.timeoutMs);
      this.waits.set(id, (fresh) => {
        clearTimeout(timer);
        this.waits.delete(id);
        resolve(fresh);
      });
      this.send({ t: 'nc?', id, key: nonce, nc, ttlMs, holder });
    });
  }

  /** the primary's answer */
  answered(id: number, fresh: boolean): void {
    this.waits.get(id)?.(fresh);
  }
}
