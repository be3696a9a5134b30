/**
 * Call park slots (issue #14): slot → the media server holding the parked call. The core
 * parks by REFERring the party to `sip:<prefix><slot>@<server>` (the media server parks it
 * into that slot) and routes a later INVITE to `<slot>` from any phone to
 * `sip:<slot>@<server>` (the media server hands the parked call over). A slot is kept for
 * `timeoutSeconds` (the media server rings the parker back on its own timeout). In memory
 * for one core; in Redis when the store is Redis, so a retrieval reaching any core of the
 * cluster finds the slot.
 */
import { systemTimerClock, type TimerClock, type TimerHandle } from '@strata/dialog';
import type { RedisClient } from '@strata/redis';

export interface ParkedCall {
  readonly slot: string;
  readonly server: string;
  readonly callId: string;
  readonly parker: string;
  readonly parkedAt: number;
}

export interface ParkStore {
  /** The lowest free slot, held for `parker` until `commit` or `release`; null when all are taken. */
  reserve(parker: string): Promise<string | null>;
  /** Who parked (or is parking) a call in `slot`, or null. */
  parkerOf(slot: string): Promise<string | null>;
  release(slot: string): Promise<void>;
  commit(call: Omit<ParkedCall, 'parkedAt'>): Promise<ParkedCall>;
  /** Takes the call parked in `slot` (a retrieval), or null. */
  take(slot: string): Promise<ParkedCall | null>;
  list(): Promise<ParkedCall[]>;
  /** Whether `user` could name a slot (no store access: checked on every INVITE). */
  isSlot(user: string): boolean;
  close(): void;
}

abstract class SlotRange {
  constructor(
    protected readonly first: number,
    protected readonly last: number,
  ) {}

  isSlot(user: string): boolean {
    if (!/^\d{1,9}$/.test(user)) return false;
    const n = Number(user);
    return n >= this.first && n <= this.last && String(n) === user;
  }

  protected *slots(): Generator<string> {
    for (let n = this.first; n <= this.last; n++) yield String(n);
  }
}

export class MemoryParkStore extends SlotRange implements ParkStore {
  private readonly parked = new Map<string, { call: ParkedCall; timer: { h: TimerHandle } }>();
  private readonly reserved = new Map<string, string>();

  constructor(
    first: number,
    last: number,
    private readonly timeoutMs: number,
    private readonly clock: TimerClock = systemTimerClock,
  ) {
    super(first, last);
  }

  reserve(parker: string): Promise<string | null> {
    for (const slot of this.slots())
      if (!this.parked.has(slot) && !this.reserved.has(slot)) {
        this.reserved.set(slot, parker);
        return Promise.resolve(slot);
      }
    return Promise.resolve(null);
  }

  parkerOf(slot: string): Promise<string | null> {
    return Promise.resolve(this.reserved.get(slot) ?? this.parked.get(slot)?.call.parker ?? null);
  }

  release(slot: string): Promise<void> {
    this.reserved.delete(slot);
    return Promise.resolve();
  }

  commit(call: Omit<ParkedCall, 'parkedAt'>): Promise<ParkedCall> {
    this.reserved.delete(call.slot);
    const parked: ParkedCall = { ...call, parkedAt: this.clock.now() };
    const timer = {
      h: this.clock.setTimer(() => {
        this.parked.delete(call.slot);
      }, this.timeoutMs),
    };
    this.parked.set(call.slot, { call: parked, timer });
    return Promise.resolve(parked);
  }

  take(slot: string): Promise<ParkedCall | null> {
    const p = this.parked.get(slot);
    if (p === undefined) return Promise.resolve(null);
    this.clock.clearTimer(p.timer.h);
    this.parked.delete(slot);
    return Promise.resolve(p.call);
  }

  list(): Promise<ParkedCall[]> {
    return Promise.resolve([...this.parked.values()].map((p) => p.call));
  }

  close(): void {
    for (const p of this.parked.values()) this.clock.clearTimer(p.timer.h);
    this.parked.clear();
    this.reserved.clear();
  }
}

/** GET + DEL unless the slot is only reserved (a park still waiting for its NOTIFY). */
const TAKE = `
local v = redis.call('GET', KEYS[1])
if not v then return false end
if string.find(v, '"reserved":true', 1, true) then return false end
redis.call('DEL', KEYS[1])
return v`;

/**
 * Slots as Redis keys `<prefix>:park:{slots}:<slot>` (one hash tag: one cluster slot, so
 * MGET works on Redis Cluster), each with a TTL: a reservation lives `reserveMs`, a parked
 * call `timeoutMs`. `SET NX` makes a reservation race-free between cores.
 */
export class RedisParkStore extends SlotRange implements ParkStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    first: number,
    last: number,
    private readonly timeoutMs: number,
    private readonly reserveMs: number,
    private readonly now: () => number = Date.now,
  ) {
    super(first, last);
  }

  private key(slot: string): string {
    return `${this.prefix}:park:{slots}:${slot}`;
  }

  async reserve(parker: string): Promise<string | null> {
    for (const slot of this.slots()) {
      const ok = await this.redis.set(
        this.key(slot),
        JSON.stringify({ reserved: true, parker }),
        'PX',
        this.reserveMs,
        'NX',
      );
      if (ok === 'OK') return slot;
    }
    return null;
  }

  async release(slot: string): Promise<void> {
    await this.redis.del(this.key(slot));
  }

  async parkerOf(slot: string): Promise<string | null> {
    const v = await this.redis.get(this.key(slot));
    if (v === null) return null;
    try {
      const p = JSON.parse(v) as { parker?: unknown };
      return typeof p.parker === 'string' ? p.parker : null;
    } catch {
      return null;
    }
  }

  async commit(call: Omit<ParkedCall, 'parkedAt'>): Promise<ParkedCall> {
    const parked: ParkedCall = { ...call, parkedAt: this.now() };
    await this.redis.set(this.key(call.slot), JSON.stringify(parked), 'PX', this.timeoutMs);
    return parked;
  }

  async take(slot: string): Promise<ParkedCall | null> {
    const v = (await this.redis.eval(TAKE, 1, this.key(slot))) as string | null;
    return v === null ? null : parse(v);
  }

  async list(): Promise<ParkedCall[]> {
    const keys = [...this.slots()].map((s) => this.key(s));
    const values = await this.redis.mget(...keys);
    return values.flatMap((v) => {
      const p = v === null ? null : parse(v);
      return p === null ? [] : [p];
    });
  }

  close(): void {
    // the client belongs to the dialog store
  }
}

function parse(v: string): ParkedCall | null {
  try {
    const p = JSON.parse(v) as Partial<ParkedCall> & { reserved?: boolean };
    return p.reserved === true || typeof p.slot !== 'string' ? null : (p as ParkedCall);
  } catch {
    return null;
  }
}
