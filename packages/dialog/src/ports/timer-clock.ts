/** Opaque timer handle of a TimerClock. */
export type TimerHandle = unknown;

/**
 * The clock and timer source the dialog layer uses (ARCHITECTURE §2: "Timers … and a clock
 * are injected per instance. No module-level mutable timers"). The callback may return a
 * promise (a test clock awaits it; the system clock does not).
 */
export interface TimerClock {
  /** Epoch ms. */
  now(): number;
  setTimer(fn: () => void | Promise<void>, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** setTimeout cannot wait longer than 2^31-1 ms; longer timers are re-armed when they fire. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** Wall clock and unref'd Node timers (a dialog timer never keeps the process alive). */
export const systemTimerClock: TimerClock = {
  now: () => Date.now(),
  setTimer(fn, delayMs) {
    const t = setTimeout(
      () => {
        void fn();
      },
      Math.min(Math.max(0, delayMs), MAX_TIMER_DELAY_MS),
    );
    t.unref();
    return t;
  },
  clearTimer(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
