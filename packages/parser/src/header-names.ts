/**
 * Header names: compact forms (RFC 3261 §7.3.3 and the registries that
 * followed), canonical spellings for headers we generate, and the small-integer
 * ids of the "hot" headers the parser locates while it scans.
 */

/** Ids of headers located eagerly during the scan. 0 = any other header. */
export enum HotHeader {
  Other = 0,
  Via = 1,
  CallId = 2,
  CSeq = 3,
  MaxForwards = 4,
  ContentLength = 5,
  Route = 6,
  From = 7,
  To = 8,
  RecordRoute = 9,
  Contact = 10,
  /** checked at parse time (RFC 4475 §3.1.2.12), otherwise cold */
  Date = 11,
}

/** Number of HotHeader ids (Other included): the size of a per-id table. */
export const HOT_HEADER_IDS = 12;

/** compact form → full lowercase name */
const COMPACT: Readonly<Record<string, string>> = {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
};

const CANONICAL: Readonly<Record<string, string>> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
  rack: 'RAck',
  rseq: 'RSeq',
};

/** Lowercase full name of a header as written (handles compact forms). */
export function normalizeHeaderName(name: string): string {
  const lower = name.toLowerCase();
  return lower.length === 1 ? (COMPACT[lower] ?? lower) : lower;
}

/** The spelling we use when we write a header ("record-route" → "Record-Route"). */
export function canonicalHeaderName(name: string): string {
  // every Via push asks for "Via": remember the answers (names come from code,
  // not from the wire, so the set is small; the cap keeps it bounded anyway)
  const known = CANONICAL_CACHE.get(name);
  if (known !== undefined) return known;
  const lower = normalizeHeaderName(name);
  const canonical =
    CANONICAL[lower] ??
    lower.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
  if (CANONICAL_CACHE.size < 256) CANONICAL_CACHE.set(name, canonical);
  return canonical;
}

const CANONICAL_CACHE = new Map<string, string>();

const HOT_BY_NAME: Readonly<Record<string, HotHeader>> = {
  via: HotHeader.Via,
  'call-id': HotHeader.CallId,
  cseq: HotHeader.CSeq,
  'max-forwards': HotHeader.MaxForwards,
  'content-length': HotHeader.ContentLength,
  route: HotHeader.Route,
  from: HotHeader.From,
  to: HotHeader.To,
  'record-route': HotHeader.RecordRoute,
  contact: HotHeader.Contact,
  date: HotHeader.Date,
};

export function hotHeaderOf(lowerName: string): HotHeader {
  return HOT_BY_NAME[lowerName] ?? HotHeader.Other;
}

/**
 * A header name packed into four small integers, 7 bits per character after
 * `| 0x20` (case folding; injective on token characters): characters 0-3,
 * 4-7, 8-11 and 12-13, each part below 2^28, so every part is a small
 * integer (the old two-part key needed doubles, and every call that passed
 * one allocated a heap number). Equal keys of equal length are equal names,
 * so the parser classifies a name while it scans it, with no second pass
 * over its characters. Names longer than 14 characters are never hot.
 */
export function headerNameKey(name: string): [number, number, number, number] {
  const k = [0, 0, 0, 0] as [number, number, number, number];
  for (let i = 0; i < name.length && i < 16; i++)
    k[i >> 2] = (k[i >> 2]! << 7) | (name.charCodeAt(i) | 0x20);
  return k;
}

/** Longest hot name ("content-length"): longer names are never hot. */
const MAX_HOT_LENGTH = 14;

/**
 * The hot names (full and compact) as a small open-addressed table: entry e
 * holds [length, k0, k1, k2, k3] at KEYS[5e] and its id at IDS[e]; SLOTS
 * maps a hash of (length, k0) to an entry (0 = none, and entry 0 matches no
 * name). One hash, one slot load and five compares replace a call into a
 * switch per header line (the call was not inlined into the scan).
 */
const HOT_ENTRIES: [string, HotHeader][] = [
  ...Object.entries<HotHeader>(HOT_BY_NAME),
  ['v', HotHeader.Via],
  ['i', HotHeader.CallId],
  ['l', HotHeader.ContentLength],
  ['f', HotHeader.From],
  ['t', HotHeader.To],
  ['m', HotHeader.Contact],
];
const KEYS = new Int32Array(5 * (HOT_ENTRIES.length + 1));
const IDS = new Uint8Array(HOT_ENTRIES.length + 1);
HOT_ENTRIES.forEach(([name, hot], i) => {
  KEYS.set([name.length, ...headerNameKey(name)], 5 * (i + 1));
  IDS[i + 1] = hot;
});
const SLOT_BITS = 6;
const SLOTS = new Uint8Array(1 << SLOT_BITS);

function slotOf(len: number, k0: number, mul: number): number {
  return Math.imul(k0 + len, mul) >>> (32 - SLOT_BITS);
}

/** The first odd multiplier (from a fixed start) that puts every entry in its own slot. */
const HASH_MUL = ((): number => {
  for (let mul = 0x9e3779b1 | 0; ; mul += 2) {
    SLOTS.fill(0);
    let ok = true;
    for (let e = 1; e <= HOT_ENTRIES.length && ok; e++) {
      const slot = slotOf(KEYS[5 * e]!, KEYS[5 * e + 1]!, mul);
      if (SLOTS[slot] !== 0) ok = false;
      else SLOTS[slot] = e;
    }
    if (ok) return mul;
  }
})();

/** The hot id of a name of `len` token characters whose key is k0..k3 (see headerNameKey). */
export function classifyHeaderKey(
  len: number,
  k0: number,
  k1: number,
  k2: number,
  k3: number,
): HotHeader {
  if (len > MAX_HOT_LENGTH) return HotHeader.Other;
  const e = SLOTS[slotOf(len, k0, HASH_MUL)]!;
  const b = 5 * e;
  return KEYS[b] === len &&
    KEYS[b + 1] === k0 &&
    KEYS[b + 2] === k1 &&
    KEYS[b + 3] === k2 &&
    KEYS[b + 4] === k3
    ? IDS[e]!
    : HotHeader.Other;
}

/** Headers whose values are comma-separated lists (RFC 3261 §7.3.1). */
export const LIST_HEADERS: ReadonlySet<string> = new Set([
  'via',
  'contact',
  'route',
  'record-route',
  'path',
  'service-route',
  'allow',
  'allow-events',
  'supported',
  'require',
  'proxy-require',
  'unsupported',
  'accept',
  'accept-encoding',
  'accept-language',
  'content-encoding',
  'content-language',
  'in-reply-to',
  'warning',
  'alert-info',
  'call-info',
  'error-info',
  'reason',
  'security-client',
  'security-server',
  'security-verify',
  'accept-contact',
  'reject-contact',
  'request-disposition',
  'p-asserted-identity',
  'p-preferred-identity',
]);
