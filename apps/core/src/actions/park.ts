/**
 * Call park slots (issue #14): slot → the media server holding the parked call. The core
 * parks by REFERring the party to `sip:<prefix><slot>@<server>` (the media server parks it
 * into that slot) and routes a later INVITE to `<slot>` from any phone to
 * `sip:<slot>@<server>` (the media server hands the parked call over). Slots are kept in
 * this core's memory for `timeoutSeconds` (the media server rings the parker back on its
 * own timeout); a cluster needs the same core to see park and retrieval (documented).
 */
import { systemTimerClock, type TimerClock, type TimerHandle } from '@strata/dialog';

export interface ParkedCall {
  readonly slot: string;
  readonly server: string;
  readonly callId: string;
  readonly parker: string;
  readonly parkedAt: number;
}

export class ParkSlots {
  private readonly parked = new Map<string, { call: ParkedCall; timer: { h: TimerHandle } }>();
  private readonly reserved = new Set<string>();

  constructor(
    private readonly first: number,
    private readonly last: number,
    private readonly timeoutMs: number,
    private readonly clock: TimerClock = systemTimerClock,
  ) {}

  /** The lowest free slot, held until `commit` or `release`; null when all are taken. */
  reserve(): string | null {
    for (let n = this.first; n <= this.last; n++) {
      const slot = String(n);
      if (!this.parked.has(slot) && !this.reserved.has(slot)) {
        this.reserved.add(slot);
        return slot;
      }
    }
    return null;
  }

  release(slot: string): void {
    this.reserved.delete(slot);
  }

  commit(call: Omit<ParkedCall, 'parkedAt'>): ParkedCall {
    this.reserved.delete(call.slot);
    const parked: ParkedCall = { ...call, parkedAt: this.clock.now() };
    const timer = {
      h: this.clock.setTimer(() => {
        this.parked.delete(call.slot);
      }, this.timeoutMs),
    };
    this.parked.set(call.slot, { call: parked, timer });
    return parked;
  }

  /** Takes the call parked in `slot` (a retrieval), or null. */
  take(slot: string): ParkedCall | null {
    const p = this.parked.get(slot);
    if (p === undefined) return null;
    this.clock.clearTimer(p.timer.h);
    this.parked.delete(slot);
    return p.call;
  }

  list(): ParkedCall[] {
    return [...this.parked.values()].map((p) => p.call);
  }

  close(): void {
    for (const p of this.parked.values()) this.clock.clearTimer(p.timer.h);
    this.parked.clear();
    this.reserved.clear();
  }
}
