/**
 * A FIFO with a hard size bound that drops the *oldest* entry when full and counts the
 * drops: a receiver that falls behind loses history, never the newest events, and never
 * makes the producer wait (issue #14).
 */
export class BoundedQueue<T> {
  private items: T[] = [];
  private head = 0;
  dropped = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be >= 1');
  }

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    if (this.size >= this.capacity) {
      this.head++;
      this.dropped++;
    }
    this.items.push(item);
    this.compact();
  }

  /** Removes and returns up to `n` entries, oldest first. */
  take(n: number): T[] {
    const out = this.items.slice(this.head, this.head + Math.max(0, n));
    this.head += out.length;
    this.compact();
    return out;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }

  /** Reclaims the consumed prefix once it dominates (amortised O(1) per entry). */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
