/**
 * Structured readers for the headers the layers above need. Each takes the
 * message's headers and parses on demand; none is on the stateless hot path.
 */
import { SipParseError } from './errors.js';
import {
  endOfQuoted,
  isTokenChar,
  isWsp,
  parseDecimal,
  parseParams,
  splitList,
  unquote,
  type Params,
} from './grammar.js';
import type { SipHeaders } from './headers.js';
import { parseNameAddr, type NameAddr } from './name-addr.js';

// ---- Contact (RFC 3261 §20.10) -------------------------------------------------

export interface ContactValue extends NameAddr {
  /** the `expires` parameter in seconds, or null */
  expires: number | null;
  /** the `q` parameter (0..1), or null */
  q: number | null;
}

/** Contact values, or '*' for the wildcard used to remove all bindings (§10.2.2). */
export function readContacts(headers: SipHeaders): ContactValue[] | '*' {
  const values = headers.values('contact');
  if (values.length === 1 && values[0] === '*') return '*';
  return values.map(parseContact);
}

/** qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) (RFC 3261 §25.1) */
const Q_VALUE = /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/;

export function parseContact(value: string): ContactValue {
  if (value.trim() === '*')
    throw new SipParseError('BAD_NAME_ADDR', '"*" mixed with other Contact values');
  const na = parseNameAddr(value);
  const expiresText = na.params.get('expires');
  const qText = na.params.get('q');
  let expires: number | null = null;
  if (expiresText !== undefined && expiresText !== null) {
    // RFC 4475 §3.1.2.4 (scalarlg): out-of-range expiry may be treated as absent
    const e = parseDecimal(expiresText, 2 ** 32 - 1);
    expires = e < 0 ? null : e;
  }
  let q: number | null = null;
  if (qText !== undefined && qText !== null) {
    if (!Q_VALUE.test(qText)) throw new SipParseError('BAD_PARAM', `bad q value "${qText}"`);
    q = Number(qText);
  }
  // a literal, not a spread: every ContactValue has the same shape
  return { displayName: na.displayName, uri: na.uri, params: na.params, expires, q };
}

// ---- Route-like lists: Route, Record-Route, Path, Service-Route ----------------

export function readNameAddrList(headers: SipHeaders, name: string): NameAddr[] {
  return headers.values(name).map((v) => parseNameAddr(v));
}

// ---- Expires, Min-Expires (RFC 3261 §20.19) -----------------------------------

export function readExpires(headers: SipHeaders, name = 'expires'): number | null {
  const v = headers.get(name);
  if (v === undefined) return null;
  const n = parseDecimal(v.trim(), 2 ** 32 - 1);
  return n < 0 ? null : n;
}

// ---- option tags: Require, Supported, Proxy-Require, Unsupported ---------------

export function readOptionTags(headers: SipHeaders, name: string): string[] {
  return headers.values(name).map((t) => t.toLowerCase());
}

// ---- Content-Type (RFC 3261 §20.15) ---------------------------------------------

export interface MediaType {
  type: string;
  subtype: string;
  params: Params;
}

export function readContentType(headers: SipHeaders): MediaType | null {
  const v = headers.get('content-type');
  if (v === undefined) return null;
  return parseMediaType(v);
}

export function parseMediaType(value: string): MediaType {
  const m = /^\s*([\w.!%*+`'~-]+)\s*\/\s*([\w.!%*+`'~-]+)/.exec(value);
  if (m === null)
    throw new SipParseError('BAD_HEADER_VALUE', `bad media type "${value.slice(0, 60)}"`);
  return {
    type: m[1]!.toLowerCase(),
    subtype: m[2]!.toLowerCase(),
    params: parseParams(value, m[0].length),
  };
}

// ---- Session-Expires (RFC 4028 §4) ---------------------------------------------

export interface SessionExpires {
  seconds: number;
  refresher: 'uac' | 'uas' | null;
  params: Params;
}

export function readSessionExpires(headers: SipHeaders): SessionExpires | null {
  const v = headers.get('session-expires');
  if (v === undefined) return null;
  const semi = v.indexOf(';');
  const seconds = parseDecimal((semi < 0 ? v : v.slice(0, semi)).trim(), 2 ** 32 - 1);
  if (seconds < 0) throw new SipParseError('BAD_HEADER_VALUE', 'bad Session-Expires');
  const params = semi < 0 ? new Map<string, string | null>() : parseParams(v, semi);
  const r = params.get('refresher')?.toLowerCase();
  return { seconds, refresher: r === 'uac' || r === 'uas' ? r : null, params };
}

// ---- Refer-To (RFC 3515 §2.1) and Replaces (RFC 3891 §6.1) -----------------------

export function readReferTo(headers: SipHeaders): NameAddr | null {
  const v = headers.get('refer-to');
  return v === undefined ? null : parseNameAddr(v);
}

export interface Replaces {
  callId: string;
  toTag: string;
  fromTag: string;
  earlyOnly: boolean;
}

export function parseReplaces(value: string): Replaces {
  const semi = value.indexOf(';');
  if (semi <= 0) throw new SipParseError('BAD_HEADER_VALUE', 'bad Replaces');
  const callId = value.slice(0, semi).trim();
  const params = parseParams(value, semi);
  const toTag = params.get('to-tag');
  const fromTag = params.get('from-tag');
  if (toTag == null || fromTag == null)
    throw new SipParseError('BAD_HEADER_VALUE', 'Replaces needs to-tag and from-tag');
  return { callId, toTag, fromTag, earlyOnly: params.has('early-only') };
}

export function readReplaces(headers: SipHeaders): Replaces | null {
  const v = headers.get('replaces');
  return v === undefined ? null : parseReplaces(v);
}

// ---- Authorization / WWW-Authenticate (RFC 3261 §20.7, §20.44, §22.4; RFC 8760) ---

export interface AuthValue {
  /** "Digest" as written */
  scheme: string;
  /** auth-params, names lowercased, values unquoted */
  params: Map<string, string>;
}

export function parseAuth(value: string): AuthValue {
  const s = value.trim();
  let i = 0;
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  if (i === 0) throw new SipParseError('BAD_AUTH', 'missing auth scheme');
  const scheme = s.slice(0, i);
  const params = new Map<string, string>();
  const n = s.length;
  while (i < n) {
    while (i < n && (isWsp(s.charCodeAt(i)) || s.charCodeAt(i) === 0x2c)) i++;
    if (i >= n) break;
    const nameStart = i;
    while (i < n && isTokenChar(s.charCodeAt(i))) i++;
    if (i === nameStart) throw new SipParseError('BAD_AUTH', 'bad auth-param');
    const name = s.slice(nameStart, i).toLowerCase();
    while (i < n && isWsp(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) !== 0x3d)
      throw new SipParseError('BAD_AUTH', `auth-param ${name} without value`);
    i++;
    while (i < n && isWsp(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) === 0x22) {
      const end = endOfQuoted(s, i);
      if (end < 0) throw new SipParseError('BAD_AUTH', `unterminated quoted ${name}`);
      params.set(name, unquote(s.slice(i, end + 1)));
      i = end + 1;
    } else {
      const vs = i;
      while (i < n && s.charCodeAt(i) !== 0x2c && !isWsp(s.charCodeAt(i))) i++;
      params.set(name, s.slice(vs, i));
    }
  }
  return { scheme, params };
}

/** All credentials or challenges in a header (several lines may be present). */
export function readAuth(headers: SipHeaders, name: string): AuthValue[] {
  return headers.getAll(name).map(parseAuth);
}

/** A list header's values (e.g. Allow), trimmed. */
export function readList(headers: SipHeaders, name: string): string[] {
  return headers.getAll(name).flatMap(splitList);
}
