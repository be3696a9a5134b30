/**
 * URIs: sip, sips (RFC 3261 §19.1, §25.1), tel (RFC 3966) and any other
 * scheme as an absolute URI, so a proxy can answer 416 (RFC 3261 §8.2.2.1).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { SipParseError } from './errors.js';
import { DEFAULT_LIMITS } from './limits.js';

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

const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*$/;
const HOSTNAME_RE =
  /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/;
// user-unreserved / unreserved / escaped (RFC 3261 §25.1); escapes checked separately
const USER_RE = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;
const PASSWORD_RE = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,]|%[0-9A-Fa-f]{2})*$/;
const PARAM_RE = /^(?:[A-Za-z0-9\-_.!~*'()[\]/:&+$]|%[0-9A-Fa-f]{2})+$/;
const HEADERS_RE = /^(?:[A-Za-z0-9\-_.!~*'()[\]/?:+$=&]|%[0-9A-Fa-f]{2})*$/;

export function parseUri(text: string, maxLength: number = DEFAULT_LIMITS.maxUriLength): Uri {
  if (text.length > maxLength) {
    throw new SipParseError('URI_TOO_LONG', `URI longer than ${maxLength} characters`, 414);
  }
  const colon = text.indexOf(':');
  if (colon <= 0) throw new SipParseError('BAD_URI', `no scheme in URI "${clip(text)}"`);
  const schemeText = text.slice(0, colon);
  if (!SCHEME_RE.test(schemeText))
    throw new SipParseError('BAD_URI', `bad URI scheme "${clip(schemeText)}"`);
  const scheme = schemeText.toLowerCase();
  const rest = text.slice(colon + 1);
  if (/[\s<>"]/.test(rest))
    throw new SipParseError('BAD_URI', `illegal character in URI "${clip(text)}"`);
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(scheme, rest);
  if (scheme === 'tel') return parseTelUri(rest);
  if (rest.length === 0) throw new SipParseError('BAD_URI', 'empty absolute URI');
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
    if (!USER_RE.test(user)) throw new SipParseError('BAD_URI', `bad user part "${clip(user)}"`);
    if (password !== null && !PASSWORD_RE.test(password)) {
      throw new SipParseError('BAD_URI', 'bad password part');
    }
    i = at + 1;
  }
  // hostport
  let host: string;
  let port: number | null = null;
  let end = i;
  if (rest.charCodeAt(i) === 0x5b /* [ */) {
    const close = rest.indexOf(']', i);
    if (close < 0) throw new SipParseError('BAD_URI', 'unterminated IPv6 reference');
    host = rest.slice(i, close + 1);
    if (!isIPv6(host.slice(1, -1)))
      throw new SipParseError('BAD_URI', `bad IPv6 reference ${clip(host)}`);
    end = close + 1;
  } else {
    while (end < rest.length) {
      const c = rest.charCodeAt(end);
      if (c === 0x3a || c === 0x3b || c === 0x3f) break;
      end++;
    }
    host = rest.slice(i, end);
    if (host.length === 0) throw new SipParseError('BAD_URI', 'empty host');
    if (!HOSTNAME_RE.test(host) && !isIPv4(host)) {
      throw new SipParseError('BAD_URI', `bad host "${clip(host)}"`);
    }
  }
  if (rest.charCodeAt(end) === 0x3a) {
    let pe = end + 1;
    while (pe < rest.length && rest.charCodeAt(pe) >= 0x30 && rest.charCodeAt(pe) <= 0x39) pe++;
    const portText = rest.slice(end + 1, pe);
    const p = portText.length > 0 && portText.length <= 5 ? Number(portText) : NaN;
    if (!(p >= 0 && p <= 65535)) throw new SipParseError('BAD_URI', `bad port "${clip(portText)}"`);
    port = p;
    end = pe;
  }
  let params: UriParams = new Map();
  let headers: string | null = null;
  const q = rest.indexOf('?', end);
  const paramText = q >= 0 ? rest.slice(end, q) : rest.slice(end);
  if (paramText.length > 0) {
    if (paramText.charCodeAt(0) !== 0x3b) {
      throw new SipParseError('BAD_URI', `unexpected "${clip(paramText)}" after host`);
    }
    params = parseUriParams(paramText);
  }
  if (q >= 0) {
    headers = rest.slice(q + 1);
    if (!HEADERS_RE.test(headers)) throw new SipParseError('BAD_URI', 'bad URI headers');
  }
  return { scheme, user, password, host, port, params, headers };
}

function parseUriParams(text: string): UriParams {
  const params: UriParams = new Map();
  for (const part of text.slice(1).split(';')) {
    if (part.length === 0) throw new SipParseError('BAD_URI', 'empty URI parameter');
    const eq = part.indexOf('=');
    const name = eq >= 0 ? part.slice(0, eq) : part;
    const value = eq >= 0 ? part.slice(eq + 1) : null;
    if (!PARAM_RE.test(name) || (value !== null && !PARAM_RE.test(value))) {
      throw new SipParseError('BAD_URI', `bad URI parameter "${clip(part)}"`);
    }
    params.set(name.toLowerCase(), value);
  }
  return params;
}

function parseTelUri(rest: string): TelUri {
  const semi = rest.indexOf(';');
  const number = semi >= 0 ? rest.slice(0, semi) : rest;
  if (!/^\+?[0-9A-Fa-f*#().\-pPwW]+$/.test(number)) {
    throw new SipParseError('BAD_URI', `bad tel number "${clip(number)}"`);
  }
  return {
    scheme: 'tel',
    number,
    params: semi >= 0 ? parseUriParams(rest.slice(semi)) : new Map(),
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
  return `${uri.scheme}:${(uri as AbsoluteUri).opaque}`;
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
    if (!nullableEq(a.user, b.user, unescapeUriPart)) return false;
    if (!nullableEq(a.password, b.password, unescapeUriPart)) return false;
    if (!ipEquals(hostOf(a), hostOf(b))) return false;
    if (a.port !== b.port) return false;
    for (const name of ['user', 'ttl', 'method', 'maddr', 'transport']) {
      const av = a.params.get(name);
      const bv = b.params.get(name);
      if ((av === undefined) !== (bv === undefined)) return false;
      if (av !== undefined && bv !== undefined && !paramEq(av, bv)) return false;
    }
    for (const [name, av] of a.params) {
      const bv = b.params.get(name);
      if (bv !== undefined && !paramEq(av, bv)) return false;
    }
    return headersEq(a.headers, b.headers);
  }
  if (isTelUri(a) && isTelUri(b)) {
    return (
      normaliseTel(a.number) === normaliseTel(b.number) && paramsEqualLoose(a.params, b.params)
    );
  }
  return (a as AbsoluteUri).opaque === (b as AbsoluteUri).opaque;
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

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
