/**
 * name-addr / addr-spec with header parameters (RFC 3261 §20.10, §20.20,
 * §20.39, §25.1): the shape of From, To, Contact, Route, Record-Route, Path,
 * Refer-To and Referred-By values.
 */
import { SipParseError } from './errors.js';
import {
  endOfQuoted,
  isTokenChar,
  isWsp,
  parseParams,
  quote,
  serializeParams,
  unquote,
  type Params,
} from './grammar.js';
import { DEFAULT_LIMITS } from './limits.js';
import { parseUri, serializeUri, type Uri } from './uri.js';

export interface NameAddr {
  /** display name without quotes, or null */
  displayName: string | null;
  uri: Uri;
  /** header parameters (tag, expires, q, lr is a URI param …), names lowercased */
  params: Params;
}

export function parseNameAddr(
  value: string,
  maxUriLength: number = DEFAULT_LIMITS.maxUriLength,
): NameAddr {
  const s = value.trim();
  let i = 0;
  let displayName: string | null = null;
  const n = s.length;
  if (n === 0) throw new SipParseError('BAD_NAME_ADDR', 'empty address');

  if (s.charCodeAt(0) === 0x22) {
    const end = endOfQuoted(s, 0);
    if (end < 0) throw new SipParseError('BAD_NAME_ADDR', 'unterminated quoted display name');
    displayName = unquote(s.slice(0, end + 1));
    i = end + 1;
    while (i < n && isWsp(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) !== 0x3c)
      throw new SipParseError('BAD_NAME_ADDR', 'display name not followed by <URI>');
  }

  const lt = s.indexOf('<', i);
  if (lt >= 0 && (displayName !== null || isDisplayTokens(s, 0, lt))) {
    if (displayName === null) {
      const dn = s.slice(0, lt).trim();
      displayName = dn.length > 0 ? dn : null;
    }
    const gt = s.indexOf('>', lt + 1);
    if (gt < 0) throw new SipParseError('BAD_NAME_ADDR', 'missing ">"');
    const uri = parseUri(s.slice(lt + 1, gt), maxUriLength);
    const params = parseParams(s, gt + 1, 'BAD_NAME_ADDR');
    return { displayName, uri, params };
  }
  if (lt >= 0) throw new SipParseError('BAD_NAME_ADDR', 'bad display name');

  // addr-spec: the URI cannot carry ';' params here, they belong to the header (§20.10)
  let end = 0;
  while (end < n && s.charCodeAt(end) !== 0x3b && !isWsp(s.charCodeAt(end))) end++;
  const uri = parseUri(s.slice(0, end), maxUriLength);
  const params = parseParams(s, end, 'BAD_NAME_ADDR');
  return { displayName: null, uri, params };
}

/** display-name = *(token LWS) — tokens separated by whitespace, nothing else */
function isDisplayTokens(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!isTokenChar(c) && !isWsp(c)) return false;
  }
  return true;
}

export function serializeNameAddr(na: NameAddr): string {
  const dn = na.displayName === null ? '' : `${quote(na.displayName)} `;
  return `${dn}<${serializeUri(na.uri)}>${serializeParams(na.params)}`;
}
