/**
 * Brute-force and scanner bans (#12). Failed digest attempts are counted per
 * source address in a sliding window; `maxFailures` within `windowMs` bans the
 * source for `banMs`. Failures are also counted per target user: a user over
 * `userMaxFailures` is reported (logged, counted) but never banned — banning a
 * user would hand attackers a lockout weapon.
 *
 * Memory is bounded: at most `maxTracked` failure windows and `maxBans` bans
 * (oldest first out). Exempt (trusted) sources are never counted nor banned.
 * The hot path is `isBanned`: one Map lookup.
 */
export interface BanEntry {
  address: string;
  /** epoch ms */
  since: number;
  until: number;
  reason: string;
  /** packets dropped since the ban (this process) */
  dropped: number;
}

export interface BanListOptions {
  maxFailures: number;
  windowMs: number;
  banMs: number;
  userMaxFailures: number;
  maxTracked?: number;
  maxBans?: number;
  now?: () => number;
  /** trusted peers: never counted, never banned */
  isExempt?: (address: string) => boolean;
}

export type BanEvent =
  { t: 'ban'; entry: Omit<BanEntry, 'dropped'> } | { t: 'unban'; address: string };

export class BanList {
  private readonly bans = new Map<string, BanEntry>();
  private readonly failures = new Map<string, number[]>();
  private readonly userFailures = new Map<string, number[]>();
  private readonly now: () => number;
  private readonly listeners: ((e: BanEvent, local: boolean) => void)[] = [];
  private readonly userListeners: ((user: string, failures: number) => void)[] = [];
  /** bans decided or applied here, by reason */
  readonly banned = new Map<string, number>();

  constructor(private readonly o: BanListOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Called for every ban/unban: `local` true when decided here (propagate), false when applied from a peer. */
  onChange(fn: (e: BanEvent, local: boolean) => void): void {
    this.listeners.push(fn);
  }

  /** A user passed `userMaxFailures` in the window (reported once per window). */
  onUserAttacked(fn: (user: string, failures: number) => void): void {
    this.userListeners.push(fn);
  }

  /** Hot path: true (and the drop counted) while `address` is banned. */
  isBanned(address: string): boolean {
    if (this.bans.size === 0) return false;
    const b = this.bans.get(address);
    if (b === undefined) return false;
    if (b.until <= this.now()) {
      this.bans.delete(address);
      return false;
    }
    b.dropped++;
    return true;
  }

  /** One failed authentication from `address` (for `user`): the ban it caused, if any. */
  recordFailure(address: string, user?: string): BanEntry | null {
    if (this.o.isExempt?.(address) === true) return null;
    const now = this.now();
    if (user !== undefined && user !== '') {
      const n = this.push(this.userFailures, user, now, this.o.userMaxFailures + 1);
      if (n === this.o.userMaxFailures) for (const fn of this.userListeners) fn(user, n);
    }
    const n = this.push(this.failures, address, now, this.o.maxFailures);
    if (n < this.o.maxFailures) return null;
    this.failures.delete(address);
    return this.ban(address, this.o.banMs, 'auth-failures');
  }

  /** Ban `address` for `ms` (null for an exempt address). Propagated to peers. */
  ban(address: string, ms: number, reason: string): BanEntry | null {
    if (this.o.isExempt?.(address) === true) return null;
    const now = this.now();
    const existing = this.bans.get(address);
    if (existing !== undefined && existing.until > now && existing.until >= now + ms)
      return existing;
    const entry = this.put({ address, since: now, until: now + ms, reason });
    this.emit({ t: 'ban', entry: withoutDropped(entry) }, true);
    return entry;
  }

  /** Lift a ban; true when there was one. Propagated to peers. */
  unban(address: string): boolean {
    this.failures.delete(address);
    const had = this.bans.delete(address);
    this.emit({ t: 'unban', address }, true);
    return had;
  }

  /** A ban or unban decided elsewhere (another worker, another edge node): applied, not re-propagated. */
  apply(e: BanEvent): void {
    if (e.t === 'unban') {
      this.failures.delete(e.address);
      if (this.bans.delete(e.address)) this.emit(e, false);
      return;
    }
    if (this.o.isExempt?.(e.entry.address) === true) return;
    if (e.entry.until <= this.now()) return;
    const cur = this.bans.get(e.entry.address);
    if (cur !== undefined && cur.until >= e.entry.until) return;
    this.put(e.entry);
    this.emit(e, false);
  }

  /** Live bans, soonest-expiring last. */
  list(): BanEntry[] {
    const now = this.now();
    const out: BanEntry[] = [];
    for (const [a, b] of this.bans) {
      if (b.until <= now) this.bans.delete(a);
      else out.push({ ...b });
    }
    return out.sort((x, y) => y.until - x.until);
  }

  get size(): number {
    return this.bans.size;
  }

  /** failures currently counted against `address` within the window */
  failuresOf(address: string): number {
    const w = this.failures.get(address);
    if (w === undefined) return 0;
    const from = this.now() - this.o.windowMs;
    return w.filter((t) => t > from).length;
  }

  private put(e: Omit<BanEntry, 'dropped'>): BanEntry {
    const entry: BanEntry = { ...e, dropped: this.bans.get(e.address)?.dropped ?? 0 };
    this.bans.delete(e.address);
    const max = this.o.maxBans ?? 100_000;
    if (this.bans.size >= max) {
      const now = this.now();
      for (const [a, b] of this.bans) if (b.until <= now) this.bans.delete(a);
      if (this.bans.size >= max) this.bans.delete(this.bans.keys().next().value!);
    }
    this.bans.set(e.address, entry);
    this.banned.set(e.reason, (this.banned.get(e.reason) ?? 0) + 1);
    return entry;
  }

  /** Sliding window of at most `cap` timestamps; returns how many fall in the window. */
  private push(map: Map<string, number[]>, key: string, now: number, cap: number): number {
    const from = now - this.o.windowMs;
    let w = map.get(key);
    if (w === undefined) {
      const max = this.o.maxTracked ?? 100_000;
      if (map.size >= max) {
        for (const [k, v] of map) if ((v[v.length - 1] ?? 0) <= from) map.delete(k);
        if (map.size >= max) map.delete(map.keys().next().value!);
      }
      w = [];
    } else {
      map.delete(key); // re-inserted: most recently failed last
    }
    let i = 0;
    while (i < w.length && w[i]! <= from) i++;
    if (i > 0) w.splice(0, i);
    w.push(now);
    if (w.length > cap) w.splice(0, w.length - cap);
    map.set(key, w);
    return w.length;
  }

  private emit(e: BanEvent, local: boolean): void {
    for (const fn of this.listeners) fn(e, local);
  }
}

function withoutDropped(e: BanEntry): Omit<BanEntry, 'dropped'> {
  return { address: e.address, since: e.since, until: e.until, reason: e.reason };
}
