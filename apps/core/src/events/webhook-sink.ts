/**
 * Call events as HTTP POSTs (issue #14): one JSON array of events per request, in order.
 * Any 2xx is success; anything else, a timeout or a connection error asks the worker to
 * retry. The request is bounded by `timeoutMs` so a slow receiver cannot hold the loop.
 */
import type { CallEvent } from './call-event.js';
import type { CallEventSink } from './event-sink.js';

export interface WebhookSinkOptions {
  readonly url: string;
  readonly timeoutMs: number;
  /** Sent as `Authorization: Bearer …` when set. */
  readonly token?: string | undefined;
}

export class WebhookSink implements CallEventSink {
  readonly name = 'webhook';

  constructor(private readonly options: WebhookSinkOptions) {}

  async deliver(batch: readonly CallEvent[]): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.options.token !== undefined) headers['authorization'] = `Bearer ${this.options.token}`;
    const res = await fetch(this.options.url, {
      method: 'POST',
      headers,
      body: JSON.stringify(batch),
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    // drain the body so the connection can be reused
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status > 299) throw new Error(`webhook answered ${res.status}`);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
