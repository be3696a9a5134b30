/**
 * A rate table: prefix → carriers ordered by cost, matched by longest prefix on the
 * normalised number. Built for a million prefixes: each prefix is a number ("1" followed
 * by its digits, so "044" and "44" differ) in an open-addressing hash of typed arrays, and
 * the (carrier, cost) lists sit in flat typed arrays. A lookup walks the number's digits
 * once and probes the hash only for prefix lengths the table has: no allocation, no strings.
 */

/** E.164 allows 15 digits; "1" + 15 digits stays below 2^53 (exact in a double). */
export const MAX_PREFIX_DIGITS = 15;
const TWO32 = 4294967296;

function hashKey(key: number): number {
  const lo = key % TWO32;
  const hi = (key / TWO32) | 0;
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The key of a digit string, or -1 when it is not 0–15 digits. */
export function prefixKey(prefix: string): number {
  if (prefix.length > MAX_PREFIX_DIGITS) return -1;
  let k = 1;
  for (let i = 0; i < prefix.length; i++) {
    const d = prefix.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    k = k * 10 + d;
  }
  return k;
}

/** key → entry number, open addressing with linear probing. */
class KeyIndex {
  keys: Float64Array;
  values: Int32Array;
  size = 0;
  private mask: number;

  constructor(capacity = 1024) {
    this.keys = new Float64Array(capacity);
    this.values = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  get(key: number): number {
    const keys = this.keys;
    let i = hashKey(key) & this.mask;
    for (;;) {
      const k = keys[i]!;
      if (k === key) return this.values[i]!;
      if (k === 0) return -1;
      i = (i + 1) & this.mask;
    }
  }

  /** The entry of `key`, `value` stored when it was absent. */
  getOrSet(key: number, value: number): number {
    if ((this.size + 1) * 10 > this.keys.length * 7) this.grow();
    let i = hashKey(key) & this.mask;
    for (;;) {
      const k = this.keys[i]!;
      if (k === key) return this.values[i]!;
      if (k === 0) {
        this.keys[i] = key;
        this.values[i] = value;
        this.size++;
        return value;
      }
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const { keys, values } = this;
    this.keys = new Float64Array(keys.length * 2);
    this.values = new Int32Array(keys.length * 2);
    this.mask = this.keys.length - 1;
    this.size = 0;
    for (let j = 0; j < keys.length; j++) if (keys[j] !== 0) this.getOrSet(keys[j]!, values[j]!);
  }

  get bytes(): number {
    return this.keys.byteLength + this.values.byteLength;
  }
}

export interface CarrierCost {
  carrier: string;
  cost: number;
}

export interface RateMatch {
  prefix: string;
  routes: CarrierCost[];
}

export class RateTable {
  constructor(
    private readonly index: KeyIndex,
    /** entry e's routes are [start[e], start[e+1]) */
    private readonly start: Uint32Array,
    private readonly routeCarrier: Uint16Array,
    private readonly routeCost: Float64Array,
    readonly carriers: readonly string[],
    /** bit n set: some prefix has n digits */
    private readonly lengths: number,
  ) {}

  /** the keys of a number's prefixes by length (reused: lookups allocate nothing) */
  private readonly scratch = new Float64Array(MAX_PREFIX_DIGITS + 1);
  /** digits of the last longestMatch's prefix (turning the key back into text costs more) */
  private matchedLength = 0;

  static empty(): RateTable {
    return new RateTableBuilder().build();
  }

  get prefixes(): number {
    return this.index.size;
  }

  get routes(): number {
    return this.routeCarrier.length;
  }

  /** Approximate memory of the table's arrays. */
  get bytes(): number {
    return (
      this.index.bytes +
      this.start.byteLength +
      this.routeCarrier.byteLength +
      this.routeCost.byteLength
    );
  }

  /**
   * The entry of the longest prefix of `digits` in the table, or -1. The keys of every
   * prefix length the table has are computed first, then probed longest first: the first
   * hit is the answer (each probe is a likely cache miss; most numbers stop early).
   */
  longestMatch(digits: string): number {
    const lengths = this.lengths;
    const keys = this.scratch;
    const n = digits.length < MAX_PREFIX_DIGITS ? digits.length : MAX_PREFIX_DIGITS;
    let k = 1;
    for (let i = 0; i < n; i++) {
      const d = digits.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return -1;
      k = k * 10 + d;
      keys[i + 1] = k;
    }
    for (let len = n; len > 0; len--) {
      if ((lengths & (1 << len)) === 0) continue;
      const e = this.index.get(keys[len]!);
      if (e >= 0) {
        this.matchedLength = len;
        return e;
      }
    }
    this.matchedLength = 0;
    return lengths & 1 ? this.index.get(1) : -1;
  }

  /** Longest-prefix match with its carriers cheapest first, or null. */
  lookup(digits: string): RateMatch | null {
    const e = this.longestMatch(digits);
    if (e < 0) return null;
    const routes: CarrierCost[] = [];
    for (let r = this.start[e]!; r < this.start[e + 1]!; r++)
      routes.push({ carrier: this.carriers[this.routeCarrier[r]!]!, cost: this.routeCost[r]! });
    return { prefix: digits.slice(0, this.matchedLength), routes };
  }
}

/** Accumulates rows (any order, several per prefix) and builds the flat table. */
export class RateTableBuilder {
  private readonly index = new KeyIndex();
  private entryHead = new Int32Array(1024);
  private rowCarrier = new Uint16Array(4096);
  private rowCost = new Float64Array(4096);
  private rowNext = new Int32Array(4096);
  private rows = 0;
  private lengths = 0;
  private readonly carrierIndex = new Map<string, number>();
  private readonly carriers: string[] = [];

  /** false when the prefix is not 0–15 digits, the cost not a finite number ≥ 0, or no carrier. */
  add(prefix: string, carrier: string, cost: number): boolean {
    return this.addKey(prefixKey(prefix), prefix.length, carrier, cost);
  }

  /** `add` with the prefix already turned into its key (the CSV loader computes it while scanning). */
  addKey(key: number, digits: number, carrier: string, cost: number): boolean {
    if (key < 0 || carrier === '' || !Number.isFinite(cost) || cost < 0) return false;
    let c = this.carrierIndex.get(carrier);
    if (c === undefined) {
      if (this.carriers.length >= 65535) return false;
      c = this.carriers.length;
      this.carriers.push(carrier);
      this.carrierIndex.set(carrier, c);
    }
    this.lengths |= 1 << digits;
    const entries = this.index.size;
    const e = this.index.getOrSet(key, entries);
    if (e === entries) {
      if (e >= this.entryHead.length) this.entryHead = grow(this.entryHead);
      this.entryHead[e] = -1;
    }
    if (this.rows >= this.rowCarrier.length) {
      this.rowCarrier = grow(this.rowCarrier);
      this.rowCost = grow(this.rowCost);
      this.rowNext = grow(this.rowNext);
    }
    const r = this.rows++;
    this.rowCarrier[r] = c;
    this.rowCost[r] = cost;
    this.rowNext[r] = this.entryHead[e]!; // newest first: a repeated (prefix, carrier) keeps the last row
    this.entryHead[e] = r;
    return true;
  }

  build(): RateTable {
    const entries = this.index.size;
    const start = new Uint32Array(entries + 1);
    const carrier = new Uint16Array(this.rows);
    const cost = new Float64Array(this.rows);
    const seen = new Int32Array(this.carriers.length).fill(-1);
    let out = 0;
    for (let e = 0; e < entries; e++) {
      start[e] = out;
      for (let r = this.entryHead[e]!; r >= 0; r = this.rowNext[r]!) {
        const c = this.rowCarrier[r]!;
        if (seen[c] === e) continue;
        seen[c] = e;
        // insertion by cost (a prefix has a handful of carriers); equal costs keep file order
        const v = this.rowCost[r]!;
        let i = out;
        while (i > start[e]! && cost[i - 1]! >= v) {
          carrier[i] = carrier[i - 1]!;
          cost[i] = cost[i - 1]!;
          i--;
        }
        carrier[i] = c;
        cost[i] = v;
        out++;
      }
    }
    start[entries] = out;
    return new RateTable(
      this.index,
      start,
      carrier.slice(0, out),
      cost.slice(0, out),
      [...this.carriers],
      this.lengths,
    );
  }
}

function grow<T extends Float64Array | Int32Array | Uint16Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}
