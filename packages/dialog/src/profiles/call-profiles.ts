/**
 * Concurrent-call counters per key (account, trunk, destination …) that hold across the
 * cluster. A profile counts dialog ids, not a bare integer: release is idempotent, a
 * retried acquire does not double count, and a dead node's entries can be corrected
 * (they expire unless refreshed, and `reconcile` drops ids that are no longer live).
 */
export interface CallProfiles {
  /**
   * Adds `dialogId` to `key` if fewer than `limit` dialogs are counted (or it is already
   * counted, which refreshes its expiry). False = over the limit.
   */
  tryAcquire(key: string, dialogId: string, limit: number, ttlMs?: number): Promise<boolean>;
  /** Extends the entry's expiry; false if it is not counted (expired or released). */
  refresh(key: string, dialogId: string, ttlMs?: number): Promise<boolean>;
  /** Idempotent. */
  release(key: string, dialogId: string): Promise<void>;
  count(key: string): Promise<number>;
  members(key: string): Promise<string[]>;
  /** Drops members not in `liveDialogIds`; returns how many were dropped. */
  reconcile(key: string, liveDialogIds: Iterable<string>): Promise<number>;
}

/** Entries a node stops refreshing (it died) disappear after this long by default. */
export const DEFAULT_PROFILE_ENTRY_TTL_MS = 4 * 3_600_000;
