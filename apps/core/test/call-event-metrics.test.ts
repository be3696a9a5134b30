/**
 * Call-event sink metrics (issue #14): a Prometheus scrape shows, per sink, what its
 * delivery worker counts — events queued, delivered, dropped from a full queue, and failed
 * after maxAttempts — and the events published.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { CallEvent } from '../src/events/call-event.js';
import { CallEvents } from '../src/events/call-events.js';
import { DeliveryWorker } from '../src/events/delivery-worker.js';
import type { CallEventSink } from '../src/events/event-sink.js';
import { registerCallEventMetrics } from '../src/ops/core-metrics.js';
import { recordedDialog } from './support/dialog-fixture.js';

const log = pino({ level: 'silent' });

/** A receiver that acknowledges, or one that hangs until released and then fails. */
class Sink implements CallEventSink {
  private open: (() => void) | null = null;
  private readonly gate: Promise<void> | null;

  constructor(
    readonly name: string,
    down: boolean,
  ) {
    this.gate = down ? new Promise((r) => (this.open = r)) : null;
  }
  release(): void {
    this.open?.();
  }
  async deliver(_batch: readonly CallEvent[]): Promise<void> {
    if (this.gate === null) return;
    await this.gate;
    throw new Error('receiver down');
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The value of one series in Prometheus text format, or null when it is absent. */
function series(text: string, name: string, sink?: string): number | null {
  const labels = sink === undefined ? '' : `\\{sink="${sink}"\\}`;
  const m = new RegExp(`^${name}${labels} (\\S+)$`, 'm').exec(text);
  return m === null ? null : Number(m[1]);
}

describe('call event metrics', () => {
  it('per sink: queued, delivered, dropped (queue full) and failed (maxAttempts), as scraped', async () => {
    const settings = {
      queueSize: 2,
      batchSize: 10,
      maxAttempts: 1,
      backoffMs: 10,
      maxBackoffMs: 10,
    };
    const up = new Sink('webhook', false);
    const down = new Sink('redis-stream', true);
    const workers = [
      new DeliveryWorker(up, { ...settings, queueSize: 10 }, log),
      new DeliveryWorker(down, settings, log),
    ];
    const events = new CallEvents('core-1', workers, log);
    const registry = new Registry();
    registerCallEventMetrics(registry, events);

    const state = recordedDialog();
    // the down sink holds the first event in flight; of the 4 after it its queue of 2
    // keeps the newest 2 and drops the oldest 2
    for (let i = 0; i < 5; i++) events.publish('created', state);
    await workers[0]!.idle();
    let text = await registry.metrics();
    expect(series(text, 'strata_call_events_published_total')).toBe(5);
    expect(series(text, 'strata_call_events_delivered_total', 'webhook')).toBe(5);
    expect(series(text, 'strata_call_events_queued', 'webhook')).toBe(0);
    expect(series(text, 'strata_call_events_queued', 'redis-stream')).toBe(2);
    expect(series(text, 'strata_call_events_dropped_total', 'redis-stream')).toBe(2);
    expect(series(text, 'strata_call_events_failed_total', 'redis-stream')).toBeNull(); // 0: no sample
    expect(series(text, 'strata_call_events_delivered_total', 'redis-stream')).toBeNull();

    // the receiver answers with an error: maxAttempts 1 gives up on the in-flight event, then
    // on the queued two
    down.release();
    await workers[1]!.idle();
    text = await registry.metrics();
    expect(series(text, 'strata_call_events_failed_total', 'redis-stream')).toBe(3);
    expect(series(text, 'strata_call_events_queued', 'redis-stream')).toBe(0);
    expect(series(text, 'strata_call_events_dropped_total', 'redis-stream')).toBe(2);
    expect(series(text, 'strata_call_events_delivered_total', 'webhook')).toBe(5);
    // the same numbers as /stats callControl.events
    expect(events.stats().sinks).toEqual([
      { sink: 'webhook', queued: 0, delivered: 5, dropped: 0, failed: 0, retries: 0 },
      { sink: 'redis-stream', queued: 0, delivered: 0, dropped: 2, failed: 3, retries: 0 },
    ]);
    expect(text).toContain('# TYPE strata_call_events_delivered_total counter');
    expect(text).toContain('# TYPE strata_call_events_queued gauge');
  });
});
