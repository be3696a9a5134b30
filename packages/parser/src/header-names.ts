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
 * Classify a header name straight from the source text without allocating:
 * called once per header line on the hot path.
 */
export function classifyHeaderName(src: string, start: number, end: number): HotHeader {
  const len = end - start;
  const c0 = src.charCodeAt(start) | 0x20;
  switch (len) {
    case 1:
      switch (c0) {
        case 0x76 /* v */:
          return HotHeader.Via;
        case 0x69 /* i */:
          return HotHeader.CallId;
        case 0x6c /* l */:
          return HotHeader.ContentLength;
        case 0x66 /* f */:
          return HotHeader.From;
        case 0x74 /* t */:
          return HotHeader.To;
        case 0x6d /* m */:
          return HotHeader.Contact;
        default:
          return HotHeader.Other;
      }
    case 2:
      return c0 === 0x74 && (src.charCodeAt(start + 1) | 0x20) === 0x6f
        ? HotHeader.To
        : HotHeader.Other;
    case 3:
      return c0 === 0x76 && eqLower(src, start, 'via') ? HotHeader.Via : HotHeader.Other;
    case 4:
      if (c0 === 0x63 && eqLower(src, start, 'cseq')) return HotHeader.CSeq;
      if (c0 === 0x66 && eqLower(src, start, 'from')) return HotHeader.From;
      if (c0 === 0x64 && eqLower(src, start, 'date')) return HotHeader.Date;
      return HotHeader.Other;
    case 5:
      return c0 === 0x72 && eqLower(src, start, 'route') ? HotHeader.Route : HotHeader.Other;
    case 7:
      if (c0 === 0x63) {
        if (eqLower(src, start, 'call-id')) return HotHeader.CallId;
        if (eqLower(src, start, 'contact')) return HotHeader.Contact;
      }
      return HotHeader.Other;
    case 12:
      if (c0 === 0x6d && eqLower(src, start, 'max-forwards')) return HotHeader.MaxForwards;
      if (c0 === 0x72 && eqLower(src, start, 'record-route')) return HotHeader.RecordRoute;
      return HotHeader.Other;
    case 14:
      return c0 === 0x63 && eqLower(src, start, 'content-length')
        ? HotHeader.ContentLength
        : HotHeader.Other;
    default:
      return HotHeader.Other;
  }
}

/**
 * A header name packed into two exact numbers, 7 bits per character after
 * `| 0x20` (case folding; injective on token characters): characters 0-6 in
 * the first, 7-13 in the second (2^49 < 2^53, so no rounding). Equal keys of
 * equal length are equal names, so the parser classifies a name while it
 * scans it, with no second pass over its characters.
 */
export function headerNameKey(name: string): [number, number] {
  let h1 = 0;
  let h2 = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i) | 0x20;
    if (i < 7) h1 = h1 * 128 + c;
    else h2 = h2 * 128 + c;
  }
  return [h1, h2];
}

const K_TO = headerNameKey('to')[0];
const K_VIA = headerNameKey('via')[0];
const K_CSEQ = headerNameKey('cseq')[0];
const K_FROM = headerNameKey('from')[0];
const K_DATE = headerNameKey('date')[0];
const K_ROUTE = headerNameKey('route')[0];
const K_CALL_ID = headerNameKey('call-id')[0];
const K_CONTACT = headerNameKey('contact')[0];
const [K_MAX_FORWARDS_1, K_MAX_FORWARDS_2] = headerNameKey('max-forwards');
const [K_RECORD_ROUTE_1, K_RECORD_ROUTE_2] = headerNameKey('record-route');
const [K_CONTENT_LENGTH_1, K_CONTENT_LENGTH_2] = headerNameKey('content-length');

/** classifyHeaderName for a name of `len` token characters whose key is (h1, h2). */
export function classifyHeaderKey(len: number, h1: number, h2: number): HotHeader {
  switch (len) {
    case 1:
      switch (h1) {
        case 0x76 /* v */:
          return HotHeader.Via;
        case 0x69 /* i */:
          return HotHeader.CallId;
        case 0x6c /* l */:
          return HotHeader.ContentLength;
        case 0x66 /* f */:
          return HotHeader.From;
        case 0x74 /* t */:
          return HotHeader.To;
        case 0x6d /* m */:
          return HotHeader.Contact;
        default:
          return HotHeader.Other;
      }
    case 2:
      return h1 === K_TO ? HotHeader.To : HotHeader.Other;
    case 3:
      return h1 === K_VIA ? HotHeader.Via : HotHeader.Other;
    case 4:
      if (h1 === K_CSEQ) return HotHeader.CSeq;
      if (h1 === K_FROM) return HotHeader.From;
      if (h1 === K_DATE) return HotHeader.Date;
      return HotHeader.Other;
    case 5:
      return h1 === K_ROUTE ? HotHeader.Route : HotHeader.Other;
    case 7:
      if (h1 === K_CALL_ID) return HotHeader.CallId;
      if (h1 === K_CONTACT) return HotHeader.Contact;
      return HotHeader.Other;
    case 12:
      if (h1 === K_MAX_FORWARDS_1 && h2 === K_MAX_FORWARDS_2) return HotHeader.MaxForwards;
      if (h1 === K_RECORD_ROUTE_1 && h2 === K_RECORD_ROUTE_2) return HotHeader.RecordRoute;
      return HotHeader.Other;
    case 14:
      return h1 === K_CONTENT_LENGTH_1 && h2 === K_CONTENT_LENGTH_2
        ? HotHeader.ContentLength
        : HotHeader.Other;
    default:
      return HotHeader.Other;
  }
}

function eqLower(src: string, start: number, lower: string): boolean {
  for (let i = 1; i < lower.length; i++) {
    if ((src.charCodeAt(start + i) | 0x20) !== lower.charCodeAt(i)) {
      // '-' | 0x20 is still '-', so the OR trick is safe for the names above.
      return false;
    }
  }
  return true;
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
