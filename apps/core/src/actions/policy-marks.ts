/**
 * What a core adopting a call (failover, issue #7) needs to re-arm its route policies
 * (issue #14): the route's name and which policies already ran, one Redis hash per
 * Call-ID. The dialog's answer time comes from the dialog store.
 */
import type { RedisClient } from '@strata/redis';
import type { RoutePolicy } from './route-policy-config.js';

export interface PolicyMarksRecord {
  readonly route: string;
  /** how many policies the route had when the call started */
  readonly count: number;
  /** indexes of the policies already run */
  readonly done: ReadonlySet<number>;
}

export interface PolicyMarks {
  routed(callId: string, route: string, policies: readonly RoutePolicy[]): Promise<void>;
  fired(callId: string, index: number): Promise<void>;
  load(callId: string): Promise<PolicyMarksRecord | null>;
  forget(callId: string): Promise<void>;
}

/** Ringing allowance added to the last policy's time for the key's expiry. */
const SLACK_MS = 2 * 3600_000;

export class RedisPolicyMarks implements PolicyMarks {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  async routed(callId: string, route: string, policies: readonly RoutePolicy[]): Promise<void> {
    const key = this.key(callId);
    const lastMs = Math.max(...policies.map((p) => p.afterAnsweredSeconds * 1000));
    await this.redis
      .multi()
      .del(key)
      .hset(key, 'route', route, 'count', String(policies.length))
      .pexpire(key, Math.ceil(lastMs) + SLACK_MS)
      .exec();
  }

  async fired(callId: string, index: number): Promise<void> {
    await this.redis.hset(this.key(callId), `done:${index}`, '1');
  }

  async load(callId: string): Promise<PolicyMarksRecord | null> {
    const h = await this.redis.hgetall(this.key(callId));
    const route = h['route'];
    if (route === undefined) return null;
    const done = new Set<number>();
    for (const f of Object.keys(h)) if (f.startsWith('done:')) done.add(Number(f.slice(5)));
    return { route, count: Number(h['count'] ?? 0), done };
  }

  async forget(callId: string): Promise<void> {
    await this.redis.del(this.key(callId));
  }

  private key(callId: string): string {
    // hash tag: one slot per call in Redis Cluster, like the dialog keys
    return `${this.prefix}:policy:{${callId}}`;
  }
}
