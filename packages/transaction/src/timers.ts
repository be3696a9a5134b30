/**
 * The clock and timer service a TransactionLayer is given. Nothing here is
 * module-level mutable state: each layer holds its own TimerHost and its own
 * TimerConfig (ARCHITECTURE.md §2, "Timers").
 */

/** An opaque handle returned by `setTimeout`. */
export type TimerHandle = object | number;

export interface TimerHost {
  /** milliseconds, monotonic enough for timer arithmetic */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * Node's timers, looked up at call time so vitest fake timers (which patch
 * the globals) drive it too. Handles are unref'ed: protocol timers never keep
 * a process alive on their own.
 */
export const systemTimers: TimerHost = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const handle = globalThis.setTimeout(callback, ms);
    if (typeof handle === 'object' && typeof handle.unref === 'function') handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]);
  },
};

/**
 * RFC 3261 §17.1.1.1 / Table 4 and RFC 6026 §8.11 timer values, per instance.
 * Derived timers (B, F, H, J, L, M = 64·T1) are computed from T1 unless given.
 */
export interface TimerConfig {
  /** RTT estimate, default 500 ms */
  t1: number;
  /** maximum retransmit interval for non-INVITE requests and INVITE responses, default 4 s */
  t2: number;
  /** maximum duration a message will remain in the network, default 5 s */
  t4: number;
  /** Timer B / F / H / J / L / M: 64·T1 */
  timeout64: number;
  /** Timer D: wait time for response retransmits, > 32 s on unreliable transports */
  timerD: number;
  /** Timer C: proxy INVITE transaction timeout, > 3 min (RFC 3261 §16.6 item 11) */
  timerC: number;
  /** the INVITE server transaction sends 100 Trying if the TU has not answered within this (200 ms) */
  tryingDelay: number;
}

export function resolveTimerConfig(partial: Partial<TimerConfig> = {}): TimerConfig {
  const t1 = partial.t1 ?? 500;
  return {
    t1,
    t2: partial.t2 ?? 4000,
    t4: partial.t4 ?? 5000,
    timeout64: partial.timeout64 ?? 64 * t1,
    timerD: partial.timerD ?? 32_000,
    timerC: partial.timerC ?? 180_000,
    tryingDelay: partial.tryingDelay ?? 200,
  };
}
