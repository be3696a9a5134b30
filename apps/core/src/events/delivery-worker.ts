/**
 * One sink's delivery loop (issue #14): `enqueue` only pushes into a bounded queue (drop
 * oldest when full), so the SIP path never waits for a receiver. The loop sends batches in
 * order, one at a time; a failed batch is retried with exponential backoff up to
 * `maxAttempts`, then dropped and counted. While it backs off, new events queue (and the
 * oldest fall off once the queue is full) — a dead receiver costs one attempt per backoff.
 */
import { systemTimerClock, type TimerClock, type TimerHandle } from '@strata/dialog';
import type { Logger } from 'pino';
import { BoundedQueue } from './bounded-queue.js';
import type { CallEvent } from './call-event.js';
import type { CallEventSink } from './event-sink.js';

export interface DeliverySettings {
  readonly queueSize: number;
  readonly batchSize: number;
  readonly maxAttempts: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

export interface DeliveryStats {
  readonly sink: string;
  readonly queued: number;
  readonly delivered: number;
  /** dropped from a full queue (oldest first) */
  readonly dropped: number;
  /** dropped after maxAttempts failed deliveries */
  readonly failed: number;
  readonly retries: number;
}

export class DeliveryWorker {
  private readonly queue: BoundedQueue<CallEvent>;
  private delivered = 0;
  private failed = 0;
  private retries = 0;
  private running = false;
  private closed = false;
  private wait: { readonly h: TimerHandle } | null = null;
  private wake: (() => void) | null = null;
  private readonly idlers: (() => void)[] = [];

  constructor(
    private readonly sink: CallEventSink,
    private readonly settings: DeliverySettings,
    private readonly log: Logger,
    private readonly clock: TimerClock = systemTimerClock,
  ) {
    this.queue = new BoundedQueue(settings.queueSize);
  }

  enqueue(event: CallEvent): void {
    if (this.closed) return;
    this.queue.push(event);
    if (!this.running) void this.run();
  }

  stats(): DeliveryStats {
    return {
      sink: this.sink.name,
      queued: this.queue.size,
      delivered: this.delivered,
      dropped: this.queue.dropped,
      failed: this.failed,
      retries: this.retries,
    };
  }

  /** Resolves once the queue is empty and nothing is in flight (tests, shutdown). */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise<void>((resolve) => this.idlers.push(resolve));
  }

  /**
   * Stops the loop. `flushMs` > 0 first gives queued events that long to go out (graceful
   * shutdown: the last calls' `ended` events); whatever is left then is dropped. Never
   * waits for a hung delivery beyond `flushMs`.
   */
  async close(flushMs = 0): Promise<void> {
    if (flushMs > 0 && this.running) {
      const t: { h: TimerHandle } = { h: undefined };
      await Promise.race([
        this.idle(),
        new Promise<void>((resolve) => {
          t.h = this.clock.setTimer(resolve, flushMs);
        }),
      ]);
      this.clock.clearTimer(t.h);
    }
    this.closed = true;
    this.queue.clear();
    if (this.wait !== null) this.clock.clearTimer(this.wait.h);
    this.wake?.();
    await this.sink.close();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (!this.closed && this.queue.size > 0) {
        const batch = this.queue.take(this.settings.batchSize);
        await this.send(batch);
      }
    } finally {
      this.running = false;
      for (const resolve of this.idlers.splice(0)) resolve();
    }
  }

  private async send(batch: CallEvent[]): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        await this.sink.deliver(batch);
        this.delivered += batch.length;
        return;
      } catch (err) {
        if (attempt >= this.settings.maxAttempts) {
          this.failed += batch.length;
          this.log.warn(
            { err, sink: this.sink.name, events: batch.length, attempts: attempt },
            'call events dropped after failed deliveries',
          );
          return;
        }
        this.retries++;
        const delay = Math.min(
          this.settings.maxBackoffMs,
          this.settings.backoffMs * 2 ** (attempt - 1),
        );
        await this.sleep(delay);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      this.wait = {
        h: this.clock.setTimer(() => {
          this.wait = null;
          this.wake = null;
          resolve();
        }, ms),
      };
    });
  }
}
