export interface StoreTimings {
  /**
   * Added to a dialog's remaining lifetime for its TTL: time for a survivor to take over a
   * dead node's dialog before Redis drops it.
   */
  readonly graceMs: number;
  /** Lifetime of a dialog with no timer armed (zombie guard). */
  readonly defaultLifetimeMs: number;
  /** How long a delete's tombstone blocks late stale writes. */
  readonly tombstoneMs: number;
}

export const DEFAULT_STORE_TIMINGS: StoreTimings = {
  graceMs: 120_000,
  defaultLifetimeMs: 4 * 3_600_000,
  tombstoneMs: 60_000,
};
