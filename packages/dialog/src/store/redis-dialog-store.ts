import type { Logger } from 'pino';
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
import { LagRecorder, type LagStats } from './lag-stats.js';
import { MemoryDialogStore } from './memory-dialog-store.js';
import { createRedisClient, type RedisClient, type RedisConfig } from '@strata/redis';
import { RedisKeys } from './redis-keys.js';
import { keepSubscribed } from '@strata/redis';
import {
  DELETE_DIALOG,
  INDEX_ADD,
  LEASE_ACQUIRE,
  LEASE_RELEASE,
  LEASE_RENEW,
  PUT_DIALOG,
  runScript,
} from './redis-scripts.js';
import { scanKeys } from '@strata/redis';
import { silentLogger } from './silent-logger.js';
import { DEFAULT_STORE_TIMINGS, type StoreTimings } from './store-timings.js';

export interface RedisDialogStoreOptions {
  /** This node's name: written into change notifications, used for lag measurement. */
  readonly node: string;
  readonly redis: RedisConfig;
  /** Prefix of every key and the change channel. Default 'strata:'. */
  readonly keyPrefix?: string;
  /** Injected clock (epoch ms) for TTLs and the local cache. */
  readonly now?: () => number;
  /** Wall clock with sub-ms precision for replication lag (must be comparable across nodes). */
  readonly wallClock?: () => number;
  readonly timings?: Partial<StoreTimings>;
  readonly logger?: Logger;
}

export type StoreStatusListener = (status: StoreStatus) => void;

/** Pub/sub payload: short field names keep the hot-path message small. */
interface ChangeMessage {
  readonly i: string;
  readonly v: number;
  readonly n: string;
  readonly t: number;
  readonly x: 0 | 1;
}

const RESYNC_BATCH = 64;

const hiresWallClock = (): number => performance.timeOrigin + performance.now();

/**
 * DialogStore on Redis (standalone, Sentinel or Cluster) with a write-through local copy.
 *
 * While Redis is unreachable the store keeps serving from the local copy, reports
 * 'degraded', and remembers which dialogs changed; on reconnect it re-writes them with
 * the same versioned compare-and-set, so a newer version written elsewhere still wins (§6).
 * No method throws because Redis is down.
 */
export class RedisDialogStore implements DialogStore {
  /** Command connection; may be shared with RedisCallProfiles / RedisStreamCdrSink. */
  readonly redis: RedisClient;
  private readonly sub: RedisClient;
  private readonly keys: RedisKeys;
  private readonly local: MemoryDialogStore;
  private readonly dirty = new Set<string>();
  private readonly listeners = new Set<DialogChangeListener>();
  private readonly statusListeners = new Set<StoreStatusListener>();
  private readonly lag = new LagRecorder();
  private readonly node: string;
  private readonly now: () => number;
  private readonly wallClock: () => number;
  private readonly timings: StoreTimings;
  private readonly log: Logger;
  private readonly subscribed: Promise<boolean>;
  private online = false;
  /** Set when a working connection is lost: the next re-sync also re-writes owned dialogs. */
  private wasOnline = false;
  private closed = false;
  private resyncing: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(options: RedisDialogStoreOptions) {
    this.node = options.node;
    this.now = options.now ?? Date.now;
    this.wallClock = options.wallClock ?? hiresWallClock;
    this.timings = { ...DEFAULT_STORE_TIMINGS, ...options.timings };
    this.log = (options.logger ?? silentLogger()).child({ component: 'dialog-store' });
    this.keys = new RedisKeys(options.keyPrefix ?? 'strata:');
    this.local = new MemoryDialogStore({
      node: this.node,
      now: this.now,
      timings: this.timings,
      sweepIntervalMs: 60_000,
      logger: this.log,
    });

    this.redis = createRedisClient(options.redis);
    this.redis.on('error', (err: Error) => this.log.warn({ err }, 'redis connection error'));
    this.redis.on('close', () => this.setOnline(false));
    this.redis.on('ready', () => void this.resync());

    this.sub = createRedisClient(options.redis, { subscriber: true });
    this.sub.on('error', (err: Error) => this.log.warn({ err }, 'redis subscriber error'));
    this.sub.on('message', (_channel: string, message: string) => this.onMessage(message));
    this.subscribed = keepSubscribed(this.sub, this.keys.changes(), (err) =>
      this.log.error({ err }, 'subscribe to dialog changes failed'),
    );
  }

  status(): StoreStatus {
    return this.online ? 'ok' : 'degraded';
  }

  onStatusChange(listener: StoreStatusListener): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Resolves true once connected, re-synced and subscribed; false after `timeoutMs`. */
  async whenReady(timeoutMs = 5_000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
    });
    const ready = new Promise<true>((resolve) => {
      if (this.online) return resolve(true);
      const off = this.onStatusChange((s) => {
        if (s === 'ok') {
          off();
          resolve(true);
        }
      });
    });
    const ok = await Promise.race([
      Promise.all([ready, this.subscribed]).then(([, s]) => s),
      timeout,
    ]);
    clearTimeout(timer);
    return ok;
  }

  /** Replication lag observed on this node for writes made by other nodes. */
  lagStats(): LagStats {
    return this.lag.stats();
  }

  /** Dialog ids changed while Redis was unreachable and not yet re-written. */
  dirtyIds(): string[] {
    return [...this.dirty];
  }

  async get(id: string): Promise<DialogState | null> {
    if (this.online && !this.dirty.has(id)) {
      try {
        const [v, d] = await this.redis.hmget(this.keys.dialog(id), 'v', 'd');
        if (v === null || v === undefined) {
          this.local.forget(id);
          return null;
        }
        if (d === null || d === undefined || d === '') return null; // tombstone
        const cached = this.local.peek(id);
        if (cached === null || cached.version < Number(v)) {
          this.local.replace(JSON.parse(d) as DialogState);
        }
        return this.local.getSync(id);
      } catch (err) {
        this.fallBack(err, 'get');
      }
    }
    return this.local.getSync(id);
  }

  async put(state: DialogState): Promise<WriteResult> {
    // The local copy is never ahead of Redis except for dirty entries, so a version the
    // local copy already has is stale for Redis too: reject without a round trip.
    const cached = this.local.peek(state.id);
    if (cached !== null && cached.version >= state.version) {
      return { ok: false, reason: 'stale', current: cached.version };
    }
    if (this.online) {
      try {
        const res = await this.remotePut(state);
        if (res.ok) this.local.putSync(state, false);
        else this.local.forget(state.id); // another node wrote a newer version
        return res;
      } catch (err) {
        this.fallBack(err, 'put');
      }
    }
    const res = this.local.putSync(state, false);
    if (res.ok) {
      this.dirty.add(state.id);
      this.emit({
        id: state.id,
        version: state.version,
        node: this.node,
        deleted: false,
        writtenAt: this.wallClock(),
      });
    }
    return res;
  }

  async delete(id: string, version: number): Promise<WriteResult> {
    const cached = this.local.peek(id);
    if (cached !== null && cached.version > version) {
      return { ok: false, reason: 'stale', current: cached.version };
    }
    if (this.online) {
      try {
        const res = await this.remoteDelete(id, version, cached?.state?.callId ?? null);
        if (res.ok) this.local.deleteSync(id, version, false);
        else this.local.forget(id);
        return res;
      } catch (err) {
        this.fallBack(err, 'delete');
      }
    }
    const res = this.local.deleteSync(id, version, false);
    if (res.ok) {
      this.dirty.add(id);
      this.emit({ id, version, node: this.node, deleted: true, writtenAt: this.wallClock() });
    }
    return res;
  }

  async findByCallId(callId: string): Promise<DialogState[]> {
    if (this.online) {
      try {
        const ids = await this.redis.smembers(this.keys.callIdIndex(callId));
        const found = await Promise.all(ids.map((id) => this.get(id)));
        // The index is a hint (own slot, updated outside the CAS); verify each hit.
        const out = found.filter((s): s is DialogState => s !== null && s.callId === callId);
        for (const s of this.local.findByCallIdSync(callId)) {
          if (this.dirty.has(s.id) && !out.some((o) => o.id === s.id)) out.push(s);
        }
        return out;
      } catch (err) {
        this.fallBack(err, 'findByCallId');
      }
    }
    return this.local.findByCallIdSync(callId);
  }

  async list(filter: DialogFilter = {}): Promise<DialogState[]> {
    if (filter.callId !== undefined) {
      return (await this.findByCallId(filter.callId)).filter((s) => matchesFilter(s, filter));
    }
    if (this.online) {
      try {
        const keys = await scanKeys(this.redis, this.keys.dialogPattern());
        const states = await Promise.all(keys.map((k) => this.get(this.keys.idFromDialogKey(k))));
        return states.filter((s): s is DialogState => s !== null && matchesFilter(s, filter));
      } catch (err) {
        this.fallBack(err, 'list');
      }
    }
    return this.local.list(filter);
  }

  async acquireLease(id: string, node: string, ttlMs: number): Promise<boolean> {
    if (this.online) {
      try {
        const ok =
          (await runScript(this.redis, LEASE_ACQUIRE, [this.keys.lease(id), node, ttlMs])) === 1;
        if (ok) this.local.acquireLeaseSync(id, node, ttlMs);
        return ok;
      } catch (err) {
        this.fallBack(err, 'acquireLease');
      }
    }
    // Degraded: the hash ring still sends a call to one core; the local table is the best
    // we can do until Redis is back.
    return this.local.acquireLeaseSync(id, node, ttlMs);
  }

  async renewLease(id: string, node: string, ttlMs: number): Promise<boolean> {
    if (this.online) {
      try {
        const ok =
          (await runScript(this.redis, LEASE_RENEW, [this.keys.lease(id), node, ttlMs])) === 1;
        if (ok) this.local.acquireLeaseSync(id, node, ttlMs);
        return ok;
      } catch (err) {
        this.fallBack(err, 'renewLease');
      }
    }
    return this.local.renewLease(id, node, ttlMs);
  }

  async releaseLease(id: string, node: string): Promise<boolean> {
    if (this.online) {
      try {
        const ok = (await runScript(this.redis, LEASE_RELEASE, [this.keys.lease(id), node])) === 1;
        await this.local.releaseLease(id, node);
        return ok;
      } catch (err) {
        this.fallBack(err, 'releaseLease');
      }
    }
    return this.local.releaseLease(id, node);
  }

  async leaseOwner(id: string): Promise<string | null> {
    if (this.online) {
      try {
        return await this.redis.get(this.keys.lease(id));
      } catch (err) {
        this.fallBack(err, 'leaseOwner');
      }
    }
    return this.local.leaseOwnerSync(id);
  }

  async claimOnce(name: string, ttlMs: number): Promise<boolean> {
    if (this.online) {
      try {
        const ok =
          (await this.redis.set(this.keys.once(name), this.node, 'PX', ttlMs, 'NX')) === 'OK';
        if (ok) this.local.claimOnceSync(name, ttlMs);
        return ok;
      } catch (err) {
        this.fallBack(err, 'claimOnce');
      }
    }
    // Degraded: at-most-once per node only; another node may also claim (duplicate rather
    // than lose a CDR while Redis is down).
    return this.local.claimOnceSync(name, ttlMs);
  }

  onChange(listener: DialogChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.redis.disconnect();
    this.sub.disconnect();
    this.setOnline(false);
    this.listeners.clear();
    this.statusListeners.clear();
    await this.local.close();
  }

  private ttlFor(state: DialogState): number {
    const life = lifetimeRemaining(state, this.now(), this.timings.defaultLifetimeMs);
    return Math.max(1, Math.ceil(life + this.timings.graceMs));
  }

  private message(id: string, version: number, deleted: boolean): string {
    const m: ChangeMessage = {
      i: id,
      v: version,
      n: this.node,
      t: this.wallClock(),
      x: deleted ? 1 : 0,
    };
    return JSON.stringify(m);
  }

  private async remotePut(state: DialogState): Promise<WriteResult> {
    const ttl = this.ttlFor(state);
    // The index lives in another slot, so it is written beside (not inside) the CAS; a
    // dangling index entry is harmless because readers verify each hit.
    const [, res] = await Promise.all([
      runScript(this.redis, INDEX_ADD, [this.keys.callIdIndex(state.callId), state.id, ttl]),
      runScript(this.redis, PUT_DIALOG, [
        this.keys.dialog(state.id),
        state.version,
        JSON.stringify(state),
        ttl,
        this.keys.changes(),
        this.message(state.id, state.version, false),
      ]),
    ]);
    return toWriteResult(res);
  }

  private async remoteDelete(
    id: string,
    version: number,
    callId: string | null,
  ): Promise<WriteResult> {
    const res = toWriteResult(
      await runScript(this.redis, DELETE_DIALOG, [
        this.keys.dialog(id),
        this.keys.lease(id),
        version,
        this.timings.tombstoneMs,
        this.keys.changes(),
        this.message(id, version, true),
      ]),
    );
    if (res.ok && callId !== null) {
      await this.redis.srem(this.keys.callIdIndex(callId), id);
    }
    return res;
  }

  private fallBack(err: unknown, op: string): void {
    if (this.online) this.log.warn({ err, op }, 'redis unavailable, serving dialogs locally');
    this.setOnline(false);
    // A failure on a live connection (e.g. a timeout) gets no 'ready' event: retry later.
    if (this.redis.status === 'ready') this.scheduleResync();
  }

  private scheduleResync(): void {
    if (this.retryTimer !== null || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.resync();
    }, 1_000);
    this.retryTimer.unref();
  }

  /**
   * Re-writes dialogs changed while degraded; versions are still enforced by the CAS.
   * After a lost connection it also re-writes every live dialog this node owns: Redis may
   * have restarted empty or failed over to a replica that missed the last writes, and an
   * unchanged copy the server still has is simply rejected as not newer.
   */
  private resync(): Promise<void> {
    if (this.resyncing !== null) return this.resyncing;
    const run = async (): Promise<void> => {
      try {
        if (this.wasOnline) {
          const owned = this.local.listSync({ ownerNode: this.node }).map((s) => s.id);
          await this.flushAll(owned, false);
          this.wasOnline = false;
        }
        for (let pass = 0; pass < 3 && this.dirty.size > 0; pass++) {
          await this.flushAll([...this.dirty], true);
        }
        if (this.dirty.size === 0 && this.redis.status === 'ready' && !this.closed) {
          this.log.info('redis reachable, dialog store in sync');
          this.setOnline(true);
        } else if (!this.closed) {
          this.scheduleResync();
        }
      } catch (err) {
        this.log.warn({ err, dirty: this.dirty.size }, 'dialog re-sync to redis failed');
        if (this.redis.status === 'ready') this.scheduleResync();
      }
    };
    this.resyncing = run().finally(() => {
      this.resyncing = null;
    });
    return this.resyncing;
  }

  /** Bounded concurrency: fast on reconnect without flooding Redis. */
  private async flushAll(ids: readonly string[], dirty: boolean): Promise<void> {
    for (let i = 0; i < ids.length; i += RESYNC_BATCH) {
      await Promise.all(ids.slice(i, i + RESYNC_BATCH).map((id) => this.flush(id, dirty)));
    }
  }

  private async flush(id: string, dirty: boolean): Promise<void> {
    const e = this.local.peek(id);
    if (e === null) {
      this.dirty.delete(id); // expired locally: nothing worth re-writing
      return;
    }
    const res =
      e.state === null
        ? await this.remoteDelete(id, e.version, null)
        : await this.remotePut(e.state);
    const superseded = !res.ok && res.current > e.version;
    if (superseded) {
      // Another node wrote a newer version meanwhile; it wins and our copy is dropped.
      if (dirty)
        this.log.warn({ id, ours: e.version, theirs: res.current }, 'dirty dialog superseded');
      this.local.forget(id);
    }
    // A write made while this flush was in flight stays dirty for the next pass.
    if (superseded || this.local.peek(id)?.version === e.version) this.dirty.delete(id);
  }

  private setOnline(online: boolean): void {
    if (this.online === online) return;
    if (!online) this.wasOnline = true;
    this.online = online;
    const s = this.status();
    for (const l of this.statusListeners) {
      try {
        l(s);
      } catch (err) {
        this.log.error({ err }, 'status listener threw');
      }
    }
  }

  private onMessage(raw: string): void {
    let m: ChangeMessage;
    try {
      m = JSON.parse(raw) as ChangeMessage;
    } catch {
      this.log.warn({ raw }, 'malformed dialog change message');
      return;
    }
    if (m.n !== this.node) {
      this.lag.record(this.wallClock() - m.t);
      // Someone else changed it: our cached copy is outdated unless we hold unsynced changes.
      const cached = this.local.peek(m.i);
      if (cached !== null && cached.version < m.v && !this.dirty.has(m.i)) this.local.forget(m.i);
    }
    this.emit({ id: m.i, version: m.v, node: m.n, deleted: m.x === 1, writtenAt: m.t });
  }

  private emit(change: DialogChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (err) {
        this.log.error({ err, id: change.id }, 'dialog change listener threw');
      }
    }
  }
}

function toWriteResult(raw: unknown): WriteResult {
  const [ok, version] = raw as [number, string];
  return ok === 1
    ? { ok: true, version: Number(version) }
    : { ok: false, reason: 'stale', current: Number(version) };
}
