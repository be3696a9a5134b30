/**
 * Server-side Via processing on every received request:
 * RFC 3261 §18.2.1 (received) and RFC 3581 §4 (rport).
 */
import { serializeVia, type SipRequest } from '@strata/parser';
import { normalizeAddress } from './address.js';

/**
 * Add `received` / fill `rport` in the request's top Via, in place. Only the
 * top Via value is rewritten (other Via values and lines keep their bytes).
 * Returns false when the request has no Via. Throws SipParseError when the
 * top Via has to be parsed and is malformed.
 *
 * Hot path: the common cases (nothing to add; bare rport) are decided and
 * edited on the raw text with indexOf/charCode scans (no RegExp, no Via
 * object), and the rewritten value is built as one string.
 */
export function applyReceived(
  request: SipRequest,
  sourceAddress: string,
  sourcePort: number,
): boolean {
  const raw = request.topViaRaw;
  if (raw === undefined) return false;
  // RFC 3581 §4: "rport" without a value asks for the source port, and then
  // received is added even when it equals the sent-by host.
  const rport = raw.indexOf('port') >= 0 ? findParam(raw, 'rport', false) : -1;
  const wantsRport = rport >= 0;
  // RFC 3261 §18.2.1: "If the host portion of the "sent-by" parameter contains
  // a domain name, or if it contains an IP address that differs from the packet
  // source address, the server MUST add a "received" parameter".
  if (!wantsRport && sameHost(sentByHost(raw), sourceAddress)) return true;

  let edited: string;
  if (raw.indexOf('"') < 0 && findParam(raw, 'received', true) < 0) {
    // plain text edit: fill rport in place, append received
    edited = wantsRport
      ? `${raw.slice(0, rport)};rport=${sourcePort}${raw.slice(paramEnd(raw, rport, 5))};received=${sourceAddress}`
      : `${raw};received=${sourceAddress}`;
  } else {
    // quoted parameter values or a received already there: go through the grammar
    const via = request.topVia!;
    const params = new Map(via.params);
    params.set('received', sourceAddress);
    if (wantsRport) params.set('rport', String(sourcePort));
    edited = serializeVia({ ...via, params });
  }
  // Pop the top value and push its rewrite: serialisation copies every other
  // header line byte for byte (the parser keeps untouched lines as slices).
  request.headers.removeFirstValue('via');
  request.headers.prepend('Via', edited);
  return true;
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Index just after the (lowercase, ASCII) parameter name that follows the ';' at `semi`. */
function paramEnd(raw: string, semi: number, nameLength: number): number {
  let i = semi + 1;
  while (isWs(raw.charCodeAt(i))) i++;
  return i + nameLength;
}

/**
 * Index of the ';' that starts parameter `name` (lowercase ASCII letters,
 * matched case-insensitively), or -1. `withValue`: the name must be followed
 * by '=' (`;received=`); otherwise by ';' or the end, i.e. no value (a bare
 * `;rport`, RFC 3581 §3). Whitespace around the name is allowed.
 */
function findParam(raw: string, name: string, withValue: boolean): number {
  const n = raw.length;
  for (let semi = raw.indexOf(';'); semi >= 0; semi = raw.indexOf(';', semi + 1)) {
    let i = semi + 1;
    while (i < n && isWs(raw.charCodeAt(i))) i++;
    if (i + name.length > n) return -1;
    let k = 0;
    while (k < name.length && (raw.charCodeAt(i + k) | 0x20) === name.charCodeAt(k)) k++;
    if (k < name.length) continue;
    i += k;
    while (i < n && isWs(raw.charCodeAt(i))) i++;
    if (withValue ? raw.charCodeAt(i) === 0x3d /* = */ : i === n || raw.charCodeAt(i) === 0x3b)
      return semi;
  }
  return -1;
}

/** The sent-by host of a raw Via value ("SIP/2.0/UDP host:port;…"), brackets kept. */
function sentByHost(raw: string): string {
  let i = raw.indexOf('/');
  i = i < 0 ? -1 : raw.indexOf('/', i + 1);
  // skip the transport token and the whitespace after it
  while (i >= 0 && i < raw.length && raw.charCodeAt(i) !== 0x20 && raw.charCodeAt(i) !== 0x09) i++;
  while (i < raw.length && (raw.charCodeAt(i) === 0x20 || raw.charCodeAt(i) === 0x09)) i++;
  if (raw.charCodeAt(i) === 0x5b /* [ */) {
    const close = raw.indexOf(']', i);
    return close < 0 ? '' : raw.slice(i, close + 1);
  }
  let e = i;
  while (e < raw.length) {
    const c = raw.charCodeAt(e);
    if (c === 0x3a || c === 0x3b || c === 0x20 || c === 0x09) break;
    e++;
  }
  return raw.slice(i, e);
}

function sameHost(viaHost: string, sourceAddress: string): boolean {
  // fast path: IPv4 sent-by written exactly as the socket reports it
  if (viaHost === sourceAddress) return true;
  return normalizeAddress(viaHost) === sourceAddress;
}
