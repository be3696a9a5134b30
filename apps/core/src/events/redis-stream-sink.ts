/**
 * Call events on a Redis Stream (issue #14): one XADD per event with `MAXLEN ~` so the
 * stream stays bounded (Redis trims whole macro nodes, cheap), fields `type`, `callId` and
 * the whole event as `event` (JSON). A batch goes in one pipeline, in order.
 */
import type { RedisClient } from '@strata/redis';
import type { CallEvent } from './call-event.js';
import type { CallEventSink } from './event-sink.js';

export interface RedisStreamSinkOptions {
  readonly redis: RedisClient;
  readonly stream: string;
  readonly maxLen: number;
  /** Close the client with the sink (it was created for the events only). */
  readonly owned: boolean;
}

export class RedisStreamEventSink implements CallEventSink {
  readonly name = 'redis-stream';

  constructor(private readonly options: RedisStreamSinkOptions) {}

  async deliver(batch: readonly CallEvent[]): Promise<void> {
    const { redis, stream, maxLen } = this.options;
    const p = redis.pipeline();
    for (const e of batch)
      p.xadd(
        stream,
        'MAXLEN',
        '~',
        maxLen,
        '*',
        'type',
        e.type,
        'callId',
        e.callId,
        'event',
        JSON.stringify(e),
      );
    const results = (await p.exec()) ?? [];
    const failed = results.find(([err]) => err !== null);
    if (failed !== undefined) throw failed[0] as Error;
  }

  async close(): Promise<void> {
    if (this.options.owned) this.options.redis.disconnect();
    return Promise.resolve();
  }
}
