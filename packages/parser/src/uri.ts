/**
 * URIs: sip, sips (RFC 3261 §19.1, §25.1), tel (RFC 3966) and any other
 * scheme as an absolute URI, so a proxy can answer 416 (RFC 3261 §8.2.2.1).
 */
import { isIPv6 } from 'node:net';
import { DEFAULT_LIMITS } from './limits.js';
import { scanUri, UriContext } from './syntax.js';
import { fastRequestUri } from './syntax-fast.js';

export type UriParams = Map<string, string | null>;

export interface SipUri {
  readonly scheme: 'sip' | 'sips';
  /** user part as written (still %-escaped), or null */
  user: string | null;
  password: string | null;
  /** host as written; an IPv6 reference keeps its brackets */
  host: string;
  port: number | null;
  /** URI parameters, names lowercased, values as written */
  params: UriParams;
  /** URI headers (`?a=b&c=d`) as written, or null */
  headers: string | null;
}

export interface TelUri {
  readonly scheme: 'tel';
  number: string;
  params: UriParams;
}

/** Any other scheme: kept opaque. */
export interface AbsoluteUri {
  readonly scheme: string;
  opaque: string;
}

export type Uri = SipUri | TelUri | AbsoluteUri;

export function isSipUri(uri: Uri): uri is SipUri {
  return uri.scheme === 'sip' || uri.scheme === 'sips';
}

export function isTelUri(uri: Uri): uri is TelUri {
  return uri.scheme === 'tel';
}

/**
 * Parse a URI. The grammar is checked by the same scanner parseMessage uses
 * (syntax.ts), so whatever a message accepted here parses too; the pieces are
 * then cut out of the checked text.
 */
export function parseUri(text: string, maxLength: number = DEFAULT_LIMITS.maxUriLength): Uri {
  if (text.length > maxLength || !fastRequestUri(text, 0, text.length))
    scanUri(text, 0, text.length, UriContext.Whole, maxLength);
  return parseCheckedUri(text);
}

/**
 * Cut a URI whose grammar a caller has already checked (parseNameAddr checks
 * the whole name-addr, URI included) into its pieces. Not exported from the
 * package: unchecked text would give garbage pieces.
 */
export function parseCheckedUri(text: string): Uri {
  const colon = text.indexOf(':');
  const scheme = text.slice(0, colon).toLowerCase();
  const rest = text.slice(colon + 1);
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(scheme, rest);
  if (scheme === 'tel') return parseTelUri(rest);
  return { scheme, opaque: rest };
}

function parseSipUri(scheme: 'sip' | 'sips', rest: string): SipUri {
  let user: string | null = null;
  let password: string | null = null;
  let i = 0;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const pc = userinfo.indexOf(':');
    user = pc >= 0 ? userinfo.slice(0, pc) : userinfo;
    if (pc >= 0) password = userinfo.slice(pc + 1);
    i = at + 1;
  }
  // hostport
  let end = i;
  if (rest.charCodeAt(i) === 0x5b /* [ */) end = rest.indexOf(']', i) + 1;
  else {
    while (end < rest.length) {
      const c = rest.charCodeAt(end);
      if (c === 0x3a || c === 0x3b || c === 0x3f) break;
      end++;
    }
  }
  const host = rest.slice(i, end);
  let port: number | null = null;
  if (rest.charCodeAt(end) === 0x3a) {
    let pe = end + 1;
    while (pe < rest.length && rest.charCodeAt(pe) >= 0x30 && rest.charCodeAt(pe) <= 0x39) pe++;
    port = Number(rest.slice(end + 1, pe));
    end = pe;
  }
  let params: UriParams = new Map<string, string | null>();
  let headers: string | null = null;
  const q = rest.indexOf('?', end);
  const paramText = q >= 0 ? rest.slice(end, q) : rest.slice(end);
  if (paramText.length > 0) params = parseUriParams(paramText);
  if (q >= 0) headers = rest.slice(q + 1);
  return { scheme, user, password, host, port, params, headers };
}

/** ";name=value;flag" (already checked) → names lowercased, values as written */
function parseUriParams(text: string): UriParams {
  const params: UriParams = new Map<string, string | null>();
  for (const part of text.slice(1).split(';')) {
    const eq = part.indexOf('=');
    const name = eq >= 0 ? part.slice(0, eq) : part;
    // RFC 3261 §19.1.4: the first instance of a parameter is the one compared
    const key = name.toLowerCase();
    if (!params.has(key)) params.set(key, eq >= 0 ? part.slice(eq + 1) : null);
  }
  return params;
}

function parseTelUri(rest: string): TelUri {
  const semi = rest.indexOf(';');
  const number = semi >= 0 ? rest.slice(0, semi) : rest;
  return {
    scheme: 'tel',
    number,
    params: semi >= 0 ? parseUriParams(rest.slice(semi)) : new Map<string, string | null>(),
  };
}

export function serializeUri(uri: Uri): string {
  if (isSipUri(uri)) {
    let s = `${uri.scheme}:`;
    if (uri.user !== null)
      s += uri.password !== null ? `${uri.user}:${uri.password}@` : `${uri.user}@`;
    s += uri.host;
    if (uri.port !== null) s += `:${uri.port}`;
    for (const [k, v] of uri.params) s += v === null ? `;${k}` : `;${k}=${v}`;
    if (uri.headers !== null) s += `?${uri.headers}`;
    return s;
  }
  if (isTelUri(uri)) {
    let s = `tel:${uri.number}`;
    for (const [k, v] of uri.params) s += v === null ? `;${k}` : `;${k}=${v}`;
    return s;
  }
  return `${uri.scheme}:${uri.opaque}`;
}

/** %HH → character, for comparisons and for display. */
export function unescapeUriPart(s: string): string {
  if (s.indexOf('%') === -1) return s;
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}

/** The host without IPv6 brackets, lowercased: the form to compare and to connect to. */
export function hostOf(uri: SipUri): string {
  const h = uri.host.charCodeAt(0) === 0x5b ? uri.host.slice(1, -1) : uri.host;
  return h.toLowerCase();
}

/**
 * URI equality, RFC 3261 §19.1.4: user and password compared case-sensitively
 * after unescaping; host case-insensitively; a port and its absence differ;
 * user, ttl, method, maddr and transport parameters must match when either
 * side has them, other parameters only when both have them; URI headers must
 * all match.
 */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (a.scheme !== b.scheme) return false;
  if (isSipUri(a) && isSipUri(b)) {
    // "Comparison of the userinfo of SIP and SIPS URIs is case-sensitive" after unescaping
    if (!nullableEq(a.user, b.user, unescapeUriPart)) return false;
    if (!nullableEq(a.password, b.password, unescapeUriPart)) return false;
    // "Comparison of all other components of the URI is case-insensitive"
    if (!ipEquals(hostOf(a), hostOf(b))) return false;
    // "A URI omitting any component with a default value will not match a URI
    // explicitly containing that component with its default value"
    if (a.port !== b.port) return false;
    const ap = unescapedParams(a.params);
    const bp = unescapedParams(b.params);
    // "user, ttl, method, maddr and transport ... must match when either side has them"
    for (const name of ['user', 'ttl', 'method', 'maddr', 'transport']) {
      const av = ap.get(name);
      const bv = bp.get(name);
      if ((av === undefined) !== (bv === undefined)) return false;
    }
    // "Any uri-parameter appearing in both URIs must match"
    for (const [name, av] of ap) {
      const bv = bp.get(name);
      if (bv !== undefined && !paramEq(av, bv)) return false;
    }
    // "URI header components are never ignored ... the set must be equal"
    return headersEq(a.headers, b.headers);
  }
  if (isTelUri(a) && isTelUri(b)) {
    return (
      normaliseTel(a.number) === normaliseTel(b.number) && paramsEqualLoose(a.params, b.params)
    );
  }
  // other schemes: RFC 3986 §6.2.2.1 (scheme and percent-encoding case) is
  // beyond what a proxy needs; compare the opaque part after unescaping
  return unescapeUriPart((a as AbsoluteUri).opaque) === unescapeUriPart((b as AbsoluteUri).opaque);
}

/** Parameter names unescaped and lowercased ("n%61me" is "name"). */
function unescapedParams(params: UriParams): UriParams {
  let plain = true;
  for (const k of params.keys()) if (k.indexOf('%') >= 0) plain = false;
  if (plain) return params;
  const out: UriParams = new Map<string, string | null>();
  for (const [k, v] of params) {
    const name = unescapeUriPart(k).toLowerCase();
    if (!out.has(name)) out.set(name, v);
  }
  return out;
}

function nullableEq(a: string | null, b: string | null, f: (s: string) => string): boolean {
  if (a === null || b === null) return a === b;
  return f(a) === f(b);
}

function paramEq(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  return unescapeUriPart(a).toLowerCase() === unescapeUriPart(b).toLowerCase();
}

function ipEquals(a: string, b: string): boolean {
  if (a === b) return true;
  if (isIPv6(a) && isIPv6(b)) return expandIPv6(a) === expandIPv6(b);
  return false;
}

function expandIPv6(a: string): string {
  // Good enough for equality: normalise via URL's canonical IPv6 form.
  try {
    return new URL(`http://[${a}]/`).hostname;
  } catch {
    return a;
  }
}

function headersEq(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  const norm = (h: string): string =>
    h
      .split('&')
      .map((kv) => {
        const eq = kv.indexOf('=');
        return eq < 0
          ? unescapeUriPart(kv).toLowerCase()
          : `${unescapeUriPart(kv.slice(0, eq)).toLowerCase()}=${unescapeUriPart(kv.slice(eq + 1))}`;
      })
      .sort()
      .join('&');
  return norm(a) === norm(b);
}

function normaliseTel(n: string): string {
  return n.replace(/[-.()]/g, '').toLowerCase();
}

function paramsEqualLoose(a: UriParams, b: UriParams): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!b.has(k) || !paramEq(v, b.get(k) ?? null)) return false;
  return true;
}
