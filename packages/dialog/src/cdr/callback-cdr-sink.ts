import type { CdrRecord } from './cdr-record.js';
import type { CdrSink } from './cdr-sink.js';

/** Hands each record to application code (billing hook, tests). */
export class CallbackCdrSink implements CdrSink {
  readonly name = 'callback';

  constructor(private readonly callback: (record: CdrRecord) => void | Promise<void>) {}

  async write(record: CdrRecord): Promise<void> {
    await this.callback(record);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
