/**
 * A deterministic TimerHost for tests and benchmarks: time moves only when
 * `advance` is called. Timers live in a binary heap ordered by due time, then
 * by creation order, so equal-time timers fire in the order they were set.
 */
import type { TimerHandle, TimerHost } from '../timers.js';

interface Entry {
  at: number;
  seq: number;
  callback: (() => void) | null;
}

export class ManualTimers implements TimerHost {
  private time: number;
  private seq = 0;
  private heap: Entry[] = [];
  private live = 0;
  /** cleared entries still in the heap (dropped lazily, compacted when they dominate) */
  private dead = 0;

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const entry: Entry = { at: this.time + Math.max(0, ms), seq: this.seq++, callback };
    this.push(entry);
    this.live++;
    return entry;
  }

  clearTimeout(handle: TimerHandle): void {
    const entry = handle as Entry;
    if (entry.callback !== null) {
      entry.callback = null;
      this.live--;
      // like Node's timer lists, do not hold on to cleared timers: compact
      // once they are most of the heap (a sorted array is a valid heap)
      if (++this.dead > 1024 && this.dead * 2 > this.heap.length) {
        this.heap = this.heap
          .filter((e) => e.callback !== null)
          .sort((a, b) => a.at - b.at || a.seq - b.seq);
        this.dead = 0;
      }
    }
  }

  /** timers set and not yet fired or cleared */
  get pending(): number {
    return this.live;
  }

  /** Move time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || top.at > end) break;
      this.pop();
      if (top.callback === null) {
        this.dead--;
        continue;
      }
      this.time = top.at;
      const cb = top.callback;
      top.callback = null;
      this.live--;
      cb();
    }
    this.time = end;
  }

  /** Fire everything (including timers set while firing) until nothing is left. */
  runAll(limitMs = 3_600_000): void {
    this.advance(limitMs);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p]!, e)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && less(h[r]!, h[l]!) ? r : l;
      if (less(last, h[c]!)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}

function less(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
