import type { TimerClock, TimerHandle } from '../../src/ports/timer-clock.js';

/** Shared time for several nodes' clocks (and the memory store). */
export class TimeSource {
  constructor(public t = 1_700_000_000_000) {}
  readonly now = (): number => this.t;
}

interface Entry {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void | Promise<void>;
}

/**
 * A manual TimerClock: `advance(ms)` fires due timers in time order and awaits each
 * callback (the tracker's timer callbacks return the promise of their work), so a test
 * sees every effect of a timer before the next one fires.
 */
export class ManualClock implements TimerClock {
  private seq = 0;
  private readonly entries = new Map<number, Entry>();

  constructor(readonly time: TimeSource = new TimeSource()) {}

  now(): number {
    return this.time.t;
  }

  setTimer(fn: () => void | Promise<void>, delayMs: number): TimerHandle {
    const id = ++this.seq;
    this.entries.set(id, { id, due: this.time.t + Math.max(0, delayMs), fn });
    return id;
  }

  clearTimer(handle: TimerHandle): void {
    this.entries.delete(handle as number);
  }

  get pending(): number {
    return this.entries.size;
  }

  /** Fires timers due up to now + ms, moving the (shared) time along. */
  async advance(ms: number): Promise<void> {
    const target = this.time.t + ms;
    for (;;) {
      const next = this.earliest();
      if (next === null || next.due > target) break;
      this.entries.delete(next.id);
      if (next.due > this.time.t) this.time.t = next.due;
      await next.fn();
    }
    if (target > this.time.t) this.time.t = target;
  }

  /** Fires the timers already due (another node moved the shared time). */
  async runDue(): Promise<void> {
    await this.advance(0);
  }

  private earliest(): Entry | null {
    let best: Entry | null = null;
    for (const e of this.entries.values()) if (best === null || e.due < best.due) best = e;
    return best;
  }
}
