import type { RedisClient } from '@strata/redis';
import type { CdrRecord } from './cdr-record.js';
import type { CdrSink } from './cdr-sink.js';

export interface RedisStreamCdrSinkOptions {
  /** Not closed by the sink. */
  readonly redis: RedisClient;
  /** Default 'strata:cdr'. */
  readonly stream?: string;
  /** Approximate cap (`MAXLEN ~`), so the stream cannot grow without bound. Default 1e6. */
  readonly maxLen?: number;
}

/** XADD per record: fields `callId`, `disposition` and the whole record as `cdr` (JSON). */
export class RedisStreamCdrSink implements CdrSink {
  readonly name = 'redis-stream';
  private readonly redis: RedisClient;
  private readonly stream: string;
  private readonly maxLen: number;

  constructor(options: RedisStreamCdrSinkOptions) {
    this.redis = options.redis;
    this.stream = options.stream ?? 'strata:cdr';
    this.maxLen = options.maxLen ?? 1_000_000;
  }

  async write(record: CdrRecord): Promise<void> {
    await this.redis.xadd(
      this.stream,
      'MAXLEN',
      '~',
      this.maxLen,
      '*',
      'callId',
      record.callId,
      'disposition',
      record.disposition,
      'cdr',
      JSON.stringify(record),
    );
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
