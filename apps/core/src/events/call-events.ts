/**
 * CallEvents: turns what the dialog layer reports (and what the core's actions and feature
 * codes do) into versioned call events and hands them to every sink's delivery worker
 * (issue #14). `publish` is synchronous and O(sinks): it never waits for a receiver.
 */
import type { DialogEvent, DialogState } from '@strata/dialog';
import type { Logger } from 'pino';
import {
  CALL_EVENT_VERSION,
  callFields,
  type CallEvent,
  type CallEventType,
  type EndedData,
  type HoldData,
  type TransferData,
} from './call-event.js';
import type { DeliveryStats, DeliveryWorker } from './delivery-worker.js';

export type CallEventListener = (e: CallEvent) => void;

export class CallEvents {
  private seq = 0;
  private readonly listeners = new Set<CallEventListener>();

  constructor(
    private readonly node: string,
    private readonly workers: readonly DeliveryWorker[],
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** A dialog-layer event, as 0 or 1 call events. */
  fromDialog(e: DialogEvent): void {
    switch (e.type) {
      case 'created':
        return this.publish('created', e.state);
      case 'early':
        return this.publish('ringing', e.state);
      case 'confirmed':
        return this.publish('answered', e.state);
      case 'hold': {
        const data: HoldData = { holder: e.side, by: 'party' };
        return this.publish(e.onHold ? 'held' : 'resumed', e.state, { ...data });
      }
      case 'refer': {
        const data: TransferData = { referTo: e.referTo, status: e.status, by: 'party' };
        return this.publish('transferred', e.state, { ...data });
      }
      case 'terminated': {
        const data: EndedData = {
          party: e.party,
          reason: e.state.disposition.reason,
          wasEarly: e.wasEarly,
          finalStatus: e.state.disposition.finalStatus,
          endedAt: e.state.endedAt,
        };
        return this.publish('ended', e.state, { ...data });
      }
    }
  }

  publish(type: CallEventType, s: DialogState, data: Record<string, unknown> = {}): void {
    const seq = ++this.seq;
    // no sink and no subscriber (the default): build nothing on the call path
    if (this.workers.length === 0 && this.listeners.size === 0) return;
    const event: CallEvent = {
      v: CALL_EVENT_VERSION,
      id: `${this.node}:${seq}`,
      seq,
      node: this.node,
      type,
      ts: this.now(),
      ...callFields(s),
      data,
    };
    for (const w of this.workers) w.enqueue(event);
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.log.error({ err, type }, 'call event listener threw');
      }
    }
  }

  /** In-process subscribers (tests, the feature layer). */
  onEvent(listener: CallEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): { published: number; sinks: DeliveryStats[] } {
    return { published: this.seq, sinks: this.workers.map((w) => w.stats()) };
  }

  async idle(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.idle()));
  }

  /** `flushMs`: how long queued events may still go out before they are dropped. */
  async close(flushMs = 0): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close(flushMs)));
  }
}
