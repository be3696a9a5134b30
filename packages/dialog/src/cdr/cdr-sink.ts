import type { CdrRecord } from './cdr-record.js';

/** Where CDRs go. `write` rejects on failure; the writer logs it per sink. */
export interface CdrSink {
  readonly name: string;
  write(record: CdrRecord): Promise<void>;
  close(): Promise<void>;
}
