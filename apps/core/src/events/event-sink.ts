import type { CallEvent } from './call-event.js';

/** Where call events go (a Redis Stream, a webhook). `deliver` rejects to ask for a retry. */
export interface CallEventSink {
  readonly name: string;
  deliver(batch: readonly CallEvent[]): Promise<void>;
  close(): Promise<void>;
}
