/**
 * name-addr / addr-spec with header parameters (RFC 3261 §20.10, §20.20,
 * §20.39, §25.1): the shape of From, To, Contact, Route, Record-Route, Path,
 * Refer-To and Referred-By values.
 */
import {
  endOfQuoted,
  isTokenChar,
  parseParams,
  quote,
  serializeParams,
  unquote,
  type Params,
} from './grammar.js';
import { DEFAULT_LIMITS } from './limits.js';
import { checkAddressList, isLwsChar } from './syntax.js';
import { fastAddress } from './syntax-fast.js';
import { parseCheckedUri, serializeUri, type Uri } from './uri.js';

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
  // the grammar is checked by the scanner parseMessage uses; then cut out the pieces
  if (s.length > maxUriLength || !fastAddress(s, 0, s.length))
    checkAddressList(s, 0, s.length, false, false, maxUriLength);
  const n = s.length;
  let displayName: string | null = null;
  let lt: number;
  if (s.charCodeAt(0) === 0x22) {
    const end = endOfQuoted(s, 0);
    displayName = unquote(s.slice(0, end + 1));
    lt = s.indexOf('<', end + 1);
  } else {
    // display-name = *(token LWS), then "<"; anything else is an addr-spec
    lt = 0;
    while (lt < n && (isTokenChar(s.charCodeAt(lt)) || isLwsChar(s.charCodeAt(lt)))) lt++;
    if (lt < n && s.charCodeAt(lt) === 0x3c) {
      const dn = s.slice(0, lt).trim();
      displayName = dn.length > 0 ? dn.replace(/\s+/g, ' ') : null;
    } else lt = -1;
  }
  if (lt >= 0) {
    const gt = s.indexOf('>', lt + 1);
    // the check above covered the URI (and its length)
    const uri = parseCheckedUri(s.slice(lt + 1, gt));
    const params = parseParams(s, gt + 1, 'BAD_NAME_ADDR');
    return { displayName, uri, params };
  }
  // addr-spec: the URI cannot carry ';' params here, they belong to the header (§20.10)
  let end = 0;
  while (end < n && s.charCodeAt(end) !== 0x3b && !isLwsChar(s.charCodeAt(end))) end++;
  const uri = parseCheckedUri(s.slice(0, end));
  const params = parseParams(s, end, 'BAD_NAME_ADDR');
  return { displayName: null, uri, params };
}

export function serializeNameAddr(na: NameAddr): string {
  const dn = na.displayName === null ? '' : `${quote(na.displayName)} `;
  return `${dn}<${serializeUri(na.uri)}>${serializeParams(na.params)}`;
}
