/**
 * Grammar checks that build nothing (RFC 3261 §25.1). parseMessage runs them
 * over the Request-URI and the headers routing depends on (Via, From, To,
 * Contact, Route, Record-Route, Date), so a malformed message is rejected at
 * the door with 400 while the hot path still allocates no per-header objects.
 * The structured parsers (parseUri, parseNameAddr, parseVia) run the same
 * checks first, so both paths accept exactly the same language.
 *
 * Every function scans forward only and each character is looked at a bounded
 * number of times: linear time whatever the input.
 */
import { SipParseError, type SipParseErrorCode } from './errors.js';

// ---- character classes ----------------------------------------------------------

/** user = 1*( unreserved / escaped / user-unreserved ) */
const USER = 1;
/** password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
const PASS = 2;
/** paramchar = param-unreserved / unreserved / escaped */
const PARAM = 4;
/** hname / hvalue chars: hnv-unreserved / unreserved / escaped (plus the "=" and "&" between them) */
const HNV = 8;
/** hostname characters (alphanum, "-", "."; "_" tolerated) */
const HOST = 16;
/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
const TOKEN = 32;
/** RFC 3966 phone digits and visual separators (lenient: also p/w pause digits) */
const TEL = 64;
/** absoluteURI characters: reserved / unreserved (escapes are checked separately) */
const URIC = 128;

const CLASS = new Uint8Array(256);
function add(chars: string, bits: number): void {
  for (let i = 0; i < chars.length; i++) CLASS[chars.charCodeAt(i)]! |= bits;
}
const ALPHA = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGIT = '0123456789';
// unreserved = alphanum / mark; mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")"
const UNRESERVED = ALPHA + DIGIT + "-_.!~*'()";
add(UNRESERVED, USER | PASS | PARAM | HNV | URIC);
add('&=+$,;?/', USER); // user-unreserved
add('&=+$,', PASS);
add('[]/:&+$', PARAM); // param-unreserved
add('[]/?:+$=&', HNV); // hnv-unreserved, "=", "&"
add(ALPHA + DIGIT + '-._', HOST);
add(ALPHA + DIGIT + "-.!%*_+`'~", TOKEN);
add(DIGIT + 'abcdefABCDEF*#-.()pPwW+', TEL);
add(';/?:@&=+$,', URIC); // reserved

const SP = 0x20;
const HT = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const DQUOTE = 0x22;
const PERCENT = 0x25;
const COMMA = 0x2c;
const COLON = 0x3a;
const SEMI = 0x3b;
const LT = 0x3c;
const EQ = 0x3d;
const GT = 0x3e;
const QMARK = 0x3f;
const AT = 0x40;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const BACKSLASH = 0x5c;
const SLASH = 0x2f;
const STAR = 0x2a;

/** Class bits of the character at i (0 past the end or beyond latin1). */
function cls(s: string, i: number): number {
  return (CLASS[s.charCodeAt(i)] ?? 0) | 0;
}

/** LWS inside a header value: SP, HTAB and the CRLF of a folded line (§7.3.1). */
export function isLwsChar(c: number): boolean {
  return c === SP || c === HT || c === CR || c === LF;
}

function skipLws(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c !== SP && c !== HT && c !== CR && c !== LF) break;
    i++;
  }
  return i;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

/** Run of characters of `bits` or %HH escapes from i; returns where it stopped. */
function run(s: string, i: number, end: number, bits: number, code: SipParseErrorCode): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (((CLASS[c] ?? 0) & bits) !== 0) i++;
    else if (c === PERCENT) {
      if (i + 2 >= end) throw err(code, 'truncated % escape', s, i);
      if (!isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2)))
        throw err(code, 'bad % escape', s, i);
      i += 3;
    } else break;
  }
  return i;
}

function err(code: SipParseErrorCode, what: string, s: string, at: number): SipParseError {
  const from = Math.max(0, at - 20);
  return new SipParseError(code, `${what} at "${s.slice(from, Math.min(s.length, at + 20))}"`);
}

// ---- URIs (RFC 3261 §19.1.1, §25.1; RFC 3966; RFC 3986 absolute URIs) ---------------

/** Where a URI sits, which decides where it ends and what it may contain. */
export const UriContext = {
  /** The whole span is the URI (Request-URI, inside <>): "?headers" allowed. */
  Whole: 0,
  /**
   * An addr-spec written without <> in a header: it ends at ";", "," or LWS,
   * and may not hold "?" (RFC 3261 §20: a URI with a comma, question mark or
   * semicolon MUST be enclosed in angle brackets).
   */
  AddrSpec: 1,
} as const;
export type UriContext = (typeof UriContext)[keyof typeof UriContext];

/**
 * Check the URI that starts at `start`. In Whole context it must end exactly
 * at `end`; in AddrSpec context it ends at the first ";", ",", LWS or `end`.
 * Returns the index just past the URI.
 */
export function scanUri(
  s: string,
  start: number,
  end: number,
  ctx: UriContext,
  maxLength: number,
): number {
  let b = end;
  if (ctx === UriContext.AddrSpec) {
    b = start;
    while (b < end) {
      const c = s.charCodeAt(b);
      if (c === SEMI || c === COMMA || isLwsChar(c)) break;
      b++;
    }
  }
  if (b - start > maxLength) {
    throw new SipParseError('URI_TOO_LONG', `URI longer than ${maxLength} characters`, 414);
  }
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  let i = start;
  const c0 = s.charCodeAt(i) | 0x20;
  if (i >= b || c0 < 0x61 || c0 > 0x7a) throw err('BAD_URI', 'URI without a scheme', s, i);
  i++;
  while (i < b) {
    const c = s.charCodeAt(i);
    if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) i++;
    else if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e) i++;
    else break;
  }
  if (i >= b || s.charCodeAt(i) !== COLON) throw err('BAD_URI', 'URI without a scheme', s, i);
  const schemeLen = i - start;
  i++;
  if (
    (schemeLen === 3 || schemeLen === 4) &&
    (s.charCodeAt(start) | 0x20) === 0x73 &&
    (s.charCodeAt(start + 1) | 0x20) === 0x69 &&
    (s.charCodeAt(start + 2) | 0x20) === 0x70 &&
    (schemeLen === 3 || (s.charCodeAt(start + 3) | 0x20) === 0x73)
  ) {
    scanSipRest(s, i, b, ctx);
  } else if (
    schemeLen === 3 &&
    (s.charCodeAt(start) | 0x20) === 0x74 &&
    (s.charCodeAt(start + 1) | 0x20) === 0x65 &&
    (s.charCodeAt(start + 2) | 0x20) === 0x6c
  ) {
    // telephone-subscriber (RFC 3966 §3), leniently: digits and separators, then ;params
    const e = run(s, i, b, TEL, 'BAD_URI');
    if (e === i) throw err('BAD_URI', 'empty tel number', s, i);
    scanUriParamsAndHeaders(s, e, b, false);
  } else {
    // absoluteURI: opaque, but made of URI characters only (kept for a 416)
    const e = run(s, i, b, URIC, 'BAD_URI');
    if (e === i) throw err('BAD_URI', 'empty absolute URI', s, i);
    if (e !== b) throw err('BAD_URI', 'illegal character in URI', s, e);
  }
  return b;
}

/**
 * SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ]
 * userinfo = ( user / telephone-subscriber ) [ ":" password ] "@"
 */
function scanSipRest(s: string, i: number, b: number, ctx: UriContext): void {
  // userinfo is present when an "@" occurs before the end (neither host, params
  // nor headers may hold an unescaped "@")
  let at = -1;
  for (let k = i; k < b; k++) {
    if (s.charCodeAt(k) === AT) {
      at = k;
      break;
    }
  }
  if (at >= 0) {
    const ue = run(s, i, at, USER, 'BAD_URI');
    if (ue === i) throw err('BAD_URI', 'empty user part', s, i);
    if (ue < at) {
      if (s.charCodeAt(ue) !== COLON) throw err('BAD_URI', 'bad character in user part', s, ue);
      const pe = run(s, ue + 1, at, PASS, 'BAD_URI');
      if (pe !== at) throw err('BAD_URI', 'bad character in password', s, pe);
    }
    i = at + 1;
  }
  i = scanHostPort(s, i, b, 'BAD_URI');
  if (ctx === UriContext.AddrSpec && i < b && s.charCodeAt(i) === QMARK)
    throw err('BAD_URI', 'URI with headers must be enclosed in <>', s, i);
  scanUriParamsAndHeaders(s, i, b, true);
}

/** host [ ":" port ]; host = hostname / IPv4address / IPv6reference. Returns the end. */
export function scanHostPort(
  s: string,
  i: number,
  b: number,
  code: SipParseErrorCode,
  swsColon = false,
): number {
  if (i < b && s.charCodeAt(i) === LBRACKET) i = scanIPv6Reference(s, i, b, code);
  else {
    const h = i;
    while (i < b && (cls(s, i) & HOST) !== 0) i++;
    if (i === h) throw err(code, 'empty host', s, i);
    const first = s.charCodeAt(h);
    if (first === 0x2d || first === 0x2e) throw err(code, 'bad host', s, h);
  }
  // Via's sent-by = host [ COLON port ] allows SWS around the colon; a URI does not
  const c = swsColon ? skipLws(s, i, b) : i;
  if (c < b && s.charCodeAt(c) === COLON) {
    i = swsColon ? skipLws(s, c + 1, b) : c + 1;
    const p = i;
    let port = 0;
    while (i < b && i - p < 6) {
      const d = s.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) break;
      port = port * 10 + d;
      i++;
    }
    if (i === p || i - p > 5 || port > 65535) throw err(code, 'bad port', s, p);
  }
  return i;
}

/**
 * IPv6reference = "[" IPv6address "]". Checked leniently (hex digits, ":" and
 * "." with at least one ":"): RFC 5118 §4.10 asks parsers to be robust to the
 * three-colon form that the RFC 3261 ABNF bug allowed.
 */
function scanIPv6Reference(s: string, i: number, b: number, code: SipParseErrorCode): number {
  let k = i + 1;
  let colons = 0;
  while (k < b) {
    const c = s.charCodeAt(k);
    if (c === RBRACKET) break;
    if (c === COLON) colons++;
    else if (!isHex(c) && c !== 0x2e) throw err(code, 'bad IPv6 reference', s, k);
    k++;
  }
  if (k >= b || colons < 2 || k - i > 46) throw err(code, 'bad IPv6 reference', s, i);
  return k + 1;
}

/** uri-parameters = *( ";" uri-parameter ); headers = "?" header *( "&" header ) */
function scanUriParamsAndHeaders(s: string, i: number, b: number, headersAllowed: boolean): void {
  while (i < b && s.charCodeAt(i) === SEMI) {
    const n = run(s, i + 1, b, PARAM, 'BAD_URI');
    if (n === i + 1) throw err('BAD_URI', 'empty URI parameter', s, i);
    i = n;
    if (i < b && s.charCodeAt(i) === EQ) {
      const v = run(s, i + 1, b, PARAM, 'BAD_URI');
      if (v === i + 1) throw err('BAD_URI', 'empty URI parameter value', s, i);
      i = v;
    }
  }
  if (headersAllowed && i < b && s.charCodeAt(i) === QMARK) {
    i = run(s, i + 1, b, HNV, 'BAD_URI');
  }
  if (i !== b) throw err('BAD_URI', 'illegal character in URI', s, i);
}

// ---- header parameters (generic-param) -----------------------------------------

/**
 * *( SEMI generic-param ) with generic-param = token [ EQUAL gen-value ] and
 * gen-value = token / host / quoted-string. Unbracketed IPv6 values are
 * tolerated (RFC 5118 §4.5: a Via received= without brackets must parse).
 * Returns the index after the last parameter (LWS after it not consumed).
 */
export function scanGenericParams(
  s: string,
  i: number,
  b: number,
  code: SipParseErrorCode,
): number {
  for (;;) {
    const q = skipLws(s, i, b);
    if (q >= b || s.charCodeAt(q) !== SEMI) return i;
    let k = skipLws(s, q + 1, b);
    const n = k;
    while (k < b && (cls(s, k) & TOKEN) !== 0) k++;
    if (k === n) throw err(code, 'empty parameter name', s, q);
    i = k;
    const e = skipLws(s, k, b);
    if (e < b && s.charCodeAt(e) === EQ) {
      k = skipLws(s, e + 1, b);
      const c = s.charCodeAt(k);
      if (k < b && c === DQUOTE) k = scanQuoted(s, k, b, code);
      else if (k < b && c === LBRACKET) k = scanIPv6Reference(s, k, b, code);
      else {
        const v = k;
        while (k < b && ((cls(s, k) & TOKEN) !== 0 || s.charCodeAt(k) === COLON)) k++;
        if (k === v) throw err(code, 'empty parameter value', s, e);
      }
      i = k;
    }
  }
}

/**
 * quoted-string = SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE; starts at the
 * opening quote and returns the index after the closing one. qdtext is LWS,
 * %x21, %x23-5B, %x5D-7E or non-ASCII; quoted-pair is "\" and any octet but
 * CR and LF.
 */
export function scanQuoted(s: string, i: number, b: number, code: SipParseErrorCode): number {
  i++;
  while (i < b) {
    const c = s.charCodeAt(i);
    if (c === DQUOTE) return i + 1;
    if (c === BACKSLASH) {
      const n = s.charCodeAt(i + 1);
      if (i + 1 >= b || n === CR || n === LF) break;
      i += 2;
    } else if (c < 0x20 && c !== HT && c !== CR && c !== LF) {
      throw err(code, 'control character in quoted string', s, i);
    } else i++;
  }
  throw err(code, 'unterminated quoted string', s, i);
}

// ---- name-addr / addr-spec lists (From, To, Contact, Route, Record-Route) --------

/**
 * ( name-addr / addr-spec ) *( SEMI generic-param ), once, or as a
 * comma-separated list when `list` is set. `star` allows the lone "*" of a
 * REGISTER Contact (RFC 3261 §10.2.2). Returns the number of values.
 */
export function checkAddressList(
  s: string,
  start: number,
  end: number,
  list: boolean,
  star: boolean,
  maxUriLength: number,
): number {
  let i = skipLws(s, start, end);
  if (i >= end) throw new SipParseError('BAD_NAME_ADDR', 'empty address');
  if (star && s.charCodeAt(i) === STAR && skipLws(s, i + 1, end) === end) return 1;
  let count = 0;
  for (;;) {
    i = scanAddress(s, i, end, maxUriLength);
    i = skipLws(s, scanGenericParams(s, i, end, 'BAD_NAME_ADDR'), end);
    count++;
    if (i >= end) return count;
    if (!list || s.charCodeAt(i) !== COMMA)
      throw err('BAD_NAME_ADDR', 'unexpected character', s, i);
    i = skipLws(s, i + 1, end);
    if (i >= end) throw err('BAD_NAME_ADDR', 'empty list element', s, i);
  }
}

/**
 * name-addr = [ display-name ] LAQUOT addr-spec RAQUOT, display-name =
 * *(token LWS) / quoted-string; or a bare addr-spec. LWS may not appear inside
 * the angle brackets (RFC 4475 §3.1.2.14). Returns the index after it.
 */
function scanAddress(s: string, i: number, end: number, maxUriLength: number): number {
  let lt: number;
  if (s.charCodeAt(i) === DQUOTE) {
    lt = skipLws(s, scanQuoted(s, i, end, 'BAD_NAME_ADDR'), end);
    if (lt >= end || s.charCodeAt(lt) !== LT)
      throw err('BAD_NAME_ADDR', 'display name not followed by <URI>', s, lt);
  } else {
    // RFC 4475 §3.1.1.6: no LWS is needed between a token display name and "<"
    lt = i;
    while (lt < end && ((cls(s, lt) & TOKEN) !== 0 || isLwsChar(s.charCodeAt(lt)))) lt++;
    if (lt >= end || s.charCodeAt(lt) !== LT) {
      return scanUri(s, i, end, UriContext.AddrSpec, maxUriLength);
    }
  }
  let gt = lt + 1;
  while (gt < end && s.charCodeAt(gt) !== GT) gt++;
  if (gt >= end) throw err('BAD_NAME_ADDR', 'missing ">"', s, lt);
  scanUri(s, lt + 1, gt, UriContext.Whole, maxUriLength);
  return gt + 1;
}

// ---- Via (RFC 3261 §20.42) --------------------------------------------------------

/**
 * via-parm *(COMMA via-parm); via-parm = sent-protocol LWS sent-by
 * *( SEMI via-params ); sent-protocol = protocol-name SLASH protocol-version
 * SLASH transport. Returns the number of Via values (for the Via limit).
 */
export function checkViaList(s: string, start: number, end: number, list = true): number {
  let i = skipLws(s, start, end);
  let count = 0;
  for (;;) {
    for (let part = 0; part < 3; part++) {
      const t = i;
      while (i < end && (cls(s, i) & TOKEN) !== 0) i++;
      if (i === t) throw err('BAD_VIA', 'bad sent-protocol', s, t);
      const afterToken = i;
      i = skipLws(s, i, end);
      if (part < 2) {
        if (i >= end || s.charCodeAt(i) !== SLASH) throw err('BAD_VIA', 'bad sent-protocol', s, i);
        i = skipLws(s, i + 1, end);
      } else if (i === afterToken) throw err('BAD_VIA', 'no LWS before sent-by', s, i);
    }
    i = scanHostPort(s, i, end, 'BAD_VIA', true);
    i = skipLws(s, scanGenericParams(s, i, end, 'BAD_VIA'), end);
    count++;
    if (i >= end) return count;
    if (!list || s.charCodeAt(i) !== COMMA) throw err('BAD_VIA', 'unexpected character', s, i);
    i = skipLws(s, i + 1, end);
    if (i >= end) throw err('BAD_VIA', 'empty Via value', s, i);
  }
}

// ---- Date (RFC 3261 §20.17) -------------------------------------------------------

/**
 * Date = "Date" HCOLON SIP-date; SIP-date = rfc1123-date, and RFC 3261 allows
 * only "GMT" as the zone (RFC 4475 §3.1.2.12: "UT", "UTC", "EST" are invalid).
 */
const DATE_RE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$/;

export function checkDate(value: string): void {
  if (value.length > 64 || !DATE_RE.test(value))
    throw new SipParseError('BAD_HEADER_VALUE', `bad Date "${value.slice(0, 40)}"`);
}
