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

const K_TO = headerNameKey('to')[0];
const K_VIA = headerNameKey('via')[0];
const [K_CSEQ] = headerNameKey('cseq');
const [K_FROM] = headerNameKey('from');
const [K_DATE] = headerNameKey('date');
const [K_ROUTE_0, K_ROUTE_1] = headerNameKey('route');
const [K_CALL_ID_0, K_CALL_ID_1] = headerNameKey('call-id');
const [K_CONTACT_0, K_CONTACT_1] = headerNameKey('contact');
const [K_MAX_FORWARDS_0, K_MAX_FORWARDS_1, K_MAX_FORWARDS_2] = headerNameKey('max-forwards');
const [K_RECORD_ROUTE_0, K_RECORD_ROUTE_1, K_RECORD_ROUTE_2] = headerNameKey('record-route');
const [K_CONTENT_LENGTH_0, K_CONTENT_LENGTH_1, K_CONTENT_LENGTH_2, K_CONTENT_LENGTH_3] =
  headerNameKey('content-length');

/** classifyHeaderName for a name of `len` (≤ 14) token characters whose key is k0..k3. */
export function classifyHeaderKey(
  len: number,
  k0: number,
  k1: number,
  k2: number,
  k3: number,
): HotHeader {
  switch (len) {
    case 1:
      switch (k0) {
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
      return k0 === K_TO ? HotHeader.To : HotHeader.Other;
    case 3:
      return k0 === K_VIA ? HotHeader.Via : HotHeader.Other;
    case 4:
      if (k0 === K_CSEQ) return HotHeader.CSeq;
      if (k0 === K_FROM) return HotHeader.From;
      if (k0 === K_DATE) return HotHeader.Date;
      return HotHeader.Other;
    case 5:
      return k0 === K_ROUTE_0 && k1 === K_ROUTE_1 ? HotHeader.Route : HotHeader.Other;
    case 7:
      if (k0 === K_CALL_ID_0 && k1 === K_CALL_ID_1) return HotHeader.CallId;
      if (k0 === K_CONTACT_0 && k1 === K_CONTACT_1) return HotHeader.Contact;
      return HotHeader.Other;
    case 12:
      if (k0 === K_MAX_FORWARDS_0 && k1 === K_MAX_FORWARDS_1 && k2 === K_MAX_FORWARDS_2)
        return HotHeader.MaxForwards;
      if (k0 === K_RECORD_ROUTE_0 && k1 === K_RECORD_ROUTE_1 && k2 === K_RECORD_ROUTE_2)
        return HotHeader.RecordRoute;
      return HotHeader.Other;
    case 14:
      return k0 === K_CONTENT_LENGTH_0 &&
        k1 === K_CONTENT_LENGTH_1 &&
        k2 === K_CONTENT_LENGTH_2 &&
        k3 === K_CONTENT_LENGTH_3
        ? HotHeader.ContentLength
        : HotHeader.Other;
    default:
      return HotHeader.Other;
  }
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
