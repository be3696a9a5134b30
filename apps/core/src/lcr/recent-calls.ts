/**
 * Per-call feature state by Call-ID that must outlive the call a little: the CDR is written
 * after the dialog ends, and reads it then. An ended call is dropped `keepMs` later (swept
 * on the next end, oldest first), so the map holds the calls in progress plus a minute.
 */
export class RecentCalls<T> {
  private readonly calls = new Map<string, T>();
  /** ended calls in the order they ended */
  private readonly ended = new Map<string, number>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly keepMs = 60_000,
  ) {}

  set(callId: string, value: T): void {
    this.calls.set(callId, value);
    this.ended.delete(callId);
  }

  get(callId: string): T | undefined {
    return this.calls.get(callId);
  }

  /** Whether the call is known and not ended yet. */
  isActive(callId: string): boolean {
    return this.calls.has(callId) && !this.ended.has(callId);
  }

  end(callId: string): void {
    if (!this.isActive(callId)) return;
    const now = this.now();
    this.ended.set(callId, now);
    for (const [id, at] of this.ended) {
      if (now - at < this.keepMs) break;
      this.ended.delete(id);
      this.calls.delete(id);
    }
  }

  get size(): number {
    return this.calls.size;
  }
}
