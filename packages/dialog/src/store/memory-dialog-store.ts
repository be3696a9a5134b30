import type { Logger } from 'pino';
import { freezeDialogState } from '../state/clone-dialog-state.js';
import type { DialogState } from '../state/dialog-state.js';
import { lifetimeRemaining } from '../state/timers.js';
import type {
  DialogChange,
  DialogChangeListener,
  DialogFilter,
  DialogStore,
  StoreStatus,
  WriteResult,
} from './dialog-store.js';
import { matchesFilter } from './filter.js';
import { silentLogger } from './silent-logger.js';
import { DEFAULT_STORE_TIMINGS, type StoreTimings } from './store-timings.js';

export interface MemoryDialogStoreOptions {
  /** Name of this node, reported in change notifications. */
  readonly node: string;
  /** Injected clock (epoch ms) for TTL and lease expiry. */
  readonly now?: () => number;
  readonly timings?: Partial<StoreTimings>;
  /** Period of the background sweep of expired entries; 0 = lazy expiry only. */
  readonly sweepIntervalMs?: number;
  readonly logger?: Logger;
}

/** `state === null` is a tombstone that remembers the deleted version. */
export interface MemoryEntry {
  readonly state: DialogState | null;
  readonly version: number;
  readonly expiresAt: number;
}

interface Lease {
  readonly node: string;
  readonly expiresAt: number;
}

/**
 * The embedded, in-process DialogStore. Expiry is lazy (checked on access) plus an
 * optional unref'd sweep, so it never keeps the process alive.
 */
export class MemoryDialogStore implements DialogStore {
  private readonly entries = new Map<string, MemoryEntry>();
  /** Call-ID → dialog id (one id is the common case; an array only for forks). */
  private readonly byCallId = new Map<string, string | string[]>();
  private readonly leases = new Map<string, Lease>();
  private readonly flags = new Map<string, number>();
  private readonly listeners = new Set<DialogChangeListener>();
  private readonly node: string;
  private readonly now: () => number;
  private readonly timings: StoreTimings;
  private readonly log: Logger;
  private sweeper: NodeJS.Timeout | null = null;

  constructor(options: MemoryDialogStoreOptions) {
    this.node = options.node;
    this.now = options.now ?? Date.now;
    this.timings = { ...DEFAULT_STORE_TIMINGS, ...options.timings };
    this.log = (options.logger ?? silentLogger()).child({ component: 'dialog-store' });
    const every = options.sweepIntervalMs ?? 30_000;
    if (every > 0) {
      this.sweeper = setInterval(() => this.sweep(), every);
      this.sweeper.unref();
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The live entry including tombstones (for the Redis store's write-through cache). */
  peek(id: string): MemoryEntry | null {
    const e = this.entries.get(id);
    if (e === undefined) return null;
    if (e.expiresAt <= this.now()) {
      this.drop(id, e);
      return null;
    }
    return e;
  }

  get(id: string): Promise<DialogState | null> {
    return Promise.resolve(this.getSync(id));
  }

  getSync(id: string): DialogState | null {
    return this.peek(id)?.state ?? null;
  }

  put(state: DialogState): Promise<WriteResult> {
    return Promise.resolve(this.putSync(state));
  }

  putSync(state: DialogState, notify = true): WriteResult {
    const cur = this.peek(state.id);
    if (cur !== null && cur.version >= state.version) {
      return { ok: false, reason: 'stale', current: cur.version };
    }
    const now = this.now();
    const frozen = freezeDialogState(state);
    const ttl =
      lifetimeRemaining(frozen, now, this.timings.defaultLifetimeMs) + this.timings.graceMs;
    if (cur?.state?.callId !== frozen.callId) this.index(frozen.callId, frozen.id);
    this.entries.set(frozen.id, { state: frozen, version: frozen.version, expiresAt: now + ttl });
    if (notify) this.emit(frozen.id, frozen.version, false);
    return { ok: true, version: frozen.version };
  }

  delete(id: string, version: number): Promise<WriteResult> {
    return Promise.resolve(this.deleteSync(id, version));
  }

  deleteSync(id: string, version: number, notify = true): WriteResult {
    const cur = this.peek(id);
    if (cur !== null && cur.version > version) {
      return { ok: false, reason: 'stale', current: cur.version };
    }
    if (cur?.state) this.unindex(cur.state.callId, id);
    this.entries.set(id, {
      state: null,
      version,
      expiresAt: this.now() + this.timings.tombstoneMs,
    });
    this.leases.delete(id);
    if (notify) this.emit(id, version, true);
    return { ok: true, version };
  }

  /** Replaces the cached entry unconditionally (cache refresh from the shared store). */
  replace(state: DialogState): void {
    const cur = this.peek(state.id);
    if (cur?.state) this.unindex(cur.state.callId, state.id);
    this.entries.delete(state.id);
    this.putSync(state, false);
  }

  /** Forgets an entry without leaving a tombstone (cache invalidation). */
  forget(id: string): void {
    const e = this.entries.get(id);
    if (e !== undefined) this.drop(id, e);
  }

  findByCallId(callId: string): Promise<DialogState[]> {
    return Promise.resolve(this.findByCallIdSync(callId));
  }

  findByCallIdSync(callId: string): DialogState[] {
    const ids = this.byCallId.get(callId);
    if (ids === undefined) return [];
    const out: DialogState[] = [];
    for (const id of typeof ids === 'string' ? [ids] : ids.slice()) {
      const s = this.getSync(id);
      if (s !== null) out.push(s);
    }
    return out;
  }

  list(filter: DialogFilter = {}): Promise<DialogState[]> {
    return Promise.resolve(this.listSync(filter));
  }

  listSync(filter: DialogFilter = {}): DialogState[] {
    const out: DialogState[] = [];
    for (const id of [...this.entries.keys()]) {
      const s = this.getSync(id);
      if (s !== null && matchesFilter(s, filter)) out.push(s);
    }
    return out;
  }

  acquireLease(id: string, node: string, ttlMs: number): Promise<boolean> {
    return Promise.resolve(this.acquireLeaseSync(id, node, ttlMs));
  }

  acquireLeaseSync(id: string, node: string, ttlMs: number): boolean {
    const owner = this.leaseOwnerSync(id);
    if (owner !== null && owner !== node) return false;
    this.leases.set(id, { node, expiresAt: this.now() + ttlMs });
    return true;
  }

  renewLease(id: string, node: string, ttlMs: number): Promise<boolean> {
    if (this.leaseOwnerSync(id) !== node) return Promise.resolve(false);
    this.leases.set(id, { node, expiresAt: this.now() + ttlMs });
    return Promise.resolve(true);
  }

  releaseLease(id: string, node: string): Promise<boolean> {
    if (this.leaseOwnerSync(id) !== node) return Promise.resolve(false);
    this.leases.delete(id);
    return Promise.resolve(true);
  }

  leaseOwner(id: string): Promise<string | null> {
    return Promise.resolve(this.leaseOwnerSync(id));
  }

  leaseOwnerSync(id: string): string | null {
    const l = this.leases.get(id);
    if (l === undefined) return null;
    if (l.expiresAt <= this.now()) {
      this.leases.delete(id);
      return null;
    }
    return l.node;
  }

  claimOnce(name: string, ttlMs: number): Promise<boolean> {
    return Promise.resolve(this.claimOnceSync(name, ttlMs));
  }

  claimOnceSync(name: string, ttlMs: number): boolean {
    const now = this.now();
    const until = this.flags.get(name);
    if (until !== undefined && until > now) return false;
    this.flags.set(name, now + ttlMs);
    return true;
  }

  onChange(listener: DialogChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): StoreStatus {
    return 'ok';
  }

  /** Drops every expired dialog, tombstone, lease and flag. */
  sweep(): number {
    const now = this.now();
    let dropped = 0;
    for (const [id, e] of this.entries) {
      if (e.expiresAt <= now) {
        this.drop(id, e);
        dropped++;
      }
    }
    for (const [id, l] of this.leases) if (l.expiresAt <= now) this.leases.delete(id);
    for (const [name, until] of this.flags) if (until <= now) this.flags.delete(name);
    return dropped;
  }

  close(): Promise<void> {
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
    this.listeners.clear();
    return Promise.resolve();
  }

  private drop(id: string, e: MemoryEntry): void {
    this.entries.delete(id);
    if (e.state !== null) this.unindex(e.state.callId, id);
  }

  private index(callId: string, id: string): void {
    const cur = this.byCallId.get(callId);
    if (cur === undefined) this.byCallId.set(callId, id);
    else if (typeof cur === 'string') {
      if (cur !== id) this.byCallId.set(callId, [cur, id]);
    } else if (!cur.includes(id)) cur.push(id);
  }

  private unindex(callId: string, id: string): void {
    const cur = this.byCallId.get(callId);
    if (cur === undefined) return;
    if (typeof cur === 'string') {
      if (cur === id) this.byCallId.delete(callId);
      return;
    }
    const rest = cur.filter((x) => x !== id);
    if (rest.length === 0) this.byCallId.delete(callId);
    else this.byCallId.set(callId, rest.length === 1 ? rest[0]! : rest);
  }

  /** Listeners run synchronously; one throwing listener must not break the write. */
  private emit(id: string, version: number, deleted: boolean): void {
    if (this.listeners.size === 0) return;
    const change: DialogChange = { id, version, node: this.node, deleted, writtenAt: Date.now() };
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (err) {
        this.log.error({ err, id }, 'dialog change listener threw');
      }
    }
  }
}
