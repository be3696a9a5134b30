/**
 * Small lexical helpers shared by the header parsers (RFC 3261 §25.1).
 * All of them run in linear time over their input.
 */
import { SipParseError, type SipParseErrorCode } from './errors.js';

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
// 256 entries, so a byte needs no range check (a larger char code reads undefined: not a token)
const TOKEN = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;
for (const ch of "-.!%*_+`'~") TOKEN[ch.charCodeAt(0)] = 1;

export function isTokenChar(code: number): boolean {
  return TOKEN[code] === 1;
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

export function isWsp(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** Replace folded line breaks (LWS, RFC 3261 §7.3.1) by a single space. */
export function unfold(value: string): string {
  if (value.indexOf('\n') === -1) return value;
  return value.replace(/[ \t]*\r?\n[ \t]+/g, ' ');
}

/**
 * Split a header value on commas that are not inside a quoted string or
 * angle brackets (RFC 3261 §7.3.1). Empty elements are dropped.
 */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22) inQuote = false;
    } else if (c === 0x22) inQuote = true;
    else if (c === 0x3c /* < */) inAngle = true;
    else if (c === 0x3e /* > */) inAngle = false;
    else if (c === 0x2c /* , */ && !inAngle) {
      const part = value.slice(start, i).trim();
      if (part.length > 0) out.push(part);
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last.length > 0) out.push(last);
  return out;
}

/** Index of the first comma outside quotes and angle brackets, or -1. */
export function firstListComma(value: string, from = 0): number {
  let inQuote = false;
  let inAngle = false;
  for (let i = from; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inQuote = false;
    } else if (c === 0x22) inQuote = true;
    else if (c === 0x3c) inAngle = true;
    else if (c === 0x3e) inAngle = false;
    else if (c === 0x2c && !inAngle) return i;
  }
  return -1;
}

/** quoted-string → its content with quoted-pairs resolved. */
export function unquote(s: string): string {
  if (s.length < 2 || s.charCodeAt(0) !== 0x22 || s.charCodeAt(s.length - 1) !== 0x22) return s;
  const inner = s.slice(1, -1);
  return inner.indexOf('\\') === -1 ? inner : inner.replace(/\\(.)/gs, '$1');
}

export function quote(s: string): string {
  return `"${s.replace(/(["\\])/g, '\\$1')}"`;
}

/** Parameters after a value: `;name=value;flag`, in order, names lowercased. */
export type Params = Map<string, string | null>;

/** Parse header parameters `;a=b;c;d="x;y"` from `from` to the end of `s`. */
export function parseParams(
  s: string,
  from: number,
  code: SipParseErrorCode = 'BAD_PARAM',
): Params {
  const params: Params = new Map();
  let i = from;
  const n = s.length;
  while (i < n) {
    // skip LWS and the ';'
    while (i < n && isWsp(s.charCodeAt(i))) i++;
    if (i >= n) break;
    if (s.charCodeAt(i) !== 0x3b /* ; */) {
      throw new SipParseError(code, `expected ';' in parameters at ${i}`);
    }
    i++;
    while (i < n && isWsp(s.charCodeAt(i))) i++;
    const nameStart = i;
    let upper = false;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (!isTokenChar(c)) break;
      if (c >= 0x41 && c <= 0x5a) upper = true;
    }
    if (i === nameStart) throw new SipParseError(code, 'empty parameter name');
    // names are almost always lowercase already: lowercase only when needed
    const name = upper ? s.slice(nameStart, i).toLowerCase() : s.slice(nameStart, i);
    while (i < n && isWsp(s.charCodeAt(i))) i++;
    if (i < n && s.charCodeAt(i) === 0x3d /* = */) {
      i++;
      while (i < n && isWsp(s.charCodeAt(i))) i++;
      if (i < n && s.charCodeAt(i) === 0x22) {
        const end = endOfQuoted(s, i);
        if (end < 0) throw new SipParseError(code, `unterminated quoted parameter ${name}`);
        params.set(name, s.slice(i, end + 1));
        i = end + 1;
      } else {
        const valueStart = i;
        // gen-value / host (IPv6 reference allowed)
        while (i < n) {
          const c = s.charCodeAt(i);
          if (c === 0x3b || isWsp(c)) break;
          i++;
        }
        if (i === valueStart) throw new SipParseError(code, `empty value for parameter ${name}`);
        params.set(name, s.slice(valueStart, i));
      }
    } else {
      params.set(name, null);
    }
  }
  return params;
}

/** Index of the closing quote of the quoted-string starting at `start`, or -1. */
export function endOfQuoted(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i;
  }
  return -1;
}

export function serializeParams(params: Params): string {
  let out = '';
  for (const [k, v] of params) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}

/** Parse a non-negative decimal integer, or return -1 (no sign, no spaces, ≤ max). */
export function parseDecimal(s: string, max: number): number {
  if (s.length === 0 || s.length > 16) return -1;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v > max ? -1 : v;
}
