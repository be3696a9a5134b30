/**
 * Per-dialog, per-side digit buffers (issue #14): each DTMF digit of a party is appended
 * to that party's buffer and matched against the feature codes; a complete code fires
 * `onMatch` and clears the buffer; a buffer that stops being a prefix restarts; a buffer
 * that gets no digit for `interDigitTimeoutMs` is discarded. Timers come from an injected
 * clock (fake timers in tests).
 */
import {
  systemTimerClock,
  type DialogSideName,
  type TimerClock,
  type TimerHandle,
} from '@strata/dialog';
import { matchFeature, restartBuffer, type FeatureCode } from './feature-codes.js';

export interface FeatureHit {
  readonly dialogId: string;
  /** the party that dialled the code */
  readonly side: DialogSideName;
  readonly code: FeatureCode;
  readonly arg: string | null;
}

interface Buffer {
  digits: string;
  timer: { readonly h: TimerHandle } | null;
}

export class DtmfCollector {
  private readonly buffers = new Map<string, Buffer>();

  constructor(
    private readonly codes: readonly FeatureCode[],
    private readonly interDigitTimeoutMs: number,
    private readonly onMatch: (hit: FeatureHit) => void,
    private readonly clock: TimerClock = systemTimerClock,
  ) {}

  /** One digit from `side` of `dialogId`. Returns the hit it completed, if any. */
  digit(dialogId: string, side: DialogSideName, digit: string): FeatureHit | null {
    if (this.codes.length === 0) return null;
    const key = `${dialogId}\n${side}`;
    const b = this.buffers.get(key) ?? { digits: '', timer: null };
    if (b.timer !== null) this.clock.clearTimer(b.timer.h);
    b.timer = null;
    let digits = b.digits + digit;
    let m = matchFeature(this.codes, digits);
    if (m.kind === 'none') {
      digits = restartBuffer(this.codes, digits);
      m = digits === '' ? m : matchFeature(this.codes, digits);
    }
    if (m.kind === 'match') {
      this.buffers.delete(key);
      const hit: FeatureHit = { dialogId, side, code: m.code, arg: m.arg };
      this.onMatch(hit);
      return hit;
    }
    if (digits === '') {
      this.buffers.delete(key);
      return null;
    }
    b.digits = digits;
    b.timer = {
      h: this.clock.setTimer(() => {
        this.buffers.delete(key);
      }, this.interDigitTimeoutMs),
    };
    this.buffers.set(key, b);
    return null;
  }

  /** The dialog ended: drop its buffers and timers. */
  forget(dialogId: string): void {
    for (const side of ['caller', 'callee'] as const) {
      const key = `${dialogId}\n${side}`;
      const b = this.buffers.get(key);
      if (b?.timer != null) this.clock.clearTimer(b.timer.h);
      this.buffers.delete(key);
    }
  }

  /** Digits waiting for more (tests, /stats). */
  pending(dialogId: string, side: DialogSideName): string {
    return this.buffers.get(`${dialogId}\n${side}`)?.digits ?? '';
  }

  get size(): number {
    return this.buffers.size;
  }

  close(): void {
    for (const b of this.buffers.values()) if (b.timer !== null) this.clock.clearTimer(b.timer.h);
    this.buffers.clear();
  }
}
