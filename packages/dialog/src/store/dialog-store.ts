import type { DialogPhase, DialogState } from '../state/dialog-state.js';

/** Result of a versioned write. "Every dialog write carries a version; the newer wins" (§6). */
export type WriteResult =
  | { readonly ok: true; readonly version: number }
  | { readonly ok: false; readonly reason: 'stale'; readonly current: number };

export interface DialogChange {
  readonly id: string;
  readonly version: number;
  /** Node that made the write. */
  readonly node: string;
  readonly deleted: boolean;
  /** Writer's wall clock (epoch ms, fractional) when the write was issued. */
  readonly writtenAt: number;
}

export type DialogChangeListener = (change: DialogChange) => void;

export type StoreStatus = 'ok' | 'degraded';

export interface DialogFilter {
  readonly ownerNode?: string;
  readonly state?: DialogPhase;
  readonly callId?: string;
}

export interface DialogStore {
  /** The dialog, or null when absent, deleted or expired. */
  get(id: string): Promise<DialogState | null>;
  /** Stores `state` if `state.version` is greater than the stored version (or a tombstone's). */
  put(state: DialogState): Promise<WriteResult>;
  /**
   * Deletes if `version` is not older than the stored one. Leaves a short-lived tombstone
   * so a late, stale put cannot resurrect the dialog as a zombie.
   */
  delete(id: string, version: number): Promise<WriteResult>;
  findByCallId(callId: string): Promise<DialogState[]>;
  /** Admin / takeover scan (e.g. all dialogs of a dead node); not for the hot path. */
  list(filter?: DialogFilter): Promise<DialogState[]>;

  /** Takes the lease if free, expired or already held by `node`. */
  acquireLease(id: string, node: string, ttlMs: number): Promise<boolean>;
  /** Extends the lease only if `node` holds it. */
  renewLease(id: string, node: string, ttlMs: number): Promise<boolean>;
  /** Frees the lease only if `node` holds it. */
  releaseLease(id: string, node: string): Promise<boolean>;
  leaseOwner(id: string): Promise<string | null>;

  /**
   * Atomic once-flag: true for exactly one caller per `name` within `ttlMs`
   * (used to write each call's CDR exactly once across nodes).
   */
  claimOnce(name: string, ttlMs: number): Promise<boolean>;

  /** Subscribes to writes and deletes (from any node for shared stores). Returns unsubscribe. */
  onChange(listener: DialogChangeListener): () => void;
  status(): StoreStatus;
  close(): Promise<void>;
}
