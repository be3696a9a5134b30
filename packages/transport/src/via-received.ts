/**
 * Server-side Via processing on every received request:
 * RFC 3261 §18.2.1 (received) and RFC 3581 §4 (rport).
 */
import { serializeVia, type SipRequest } from '@strata/parser';
import { normalizeAddress } from './address.js';
import { portText } from './port-text.js';

/**
 * Add `received` / fill `rport` in the request's top Via, in place. Only the
 * top Via value is rewritten (other Via values and lines keep their bytes).
 * Returns false when the request has no Via. Throws SipParseError when the
 * top Via has to be parsed and is malformed.
 *
 * Hot path: the common cases (nothing to add; bare rport) are decided and
 * edited on the raw text (native ';' searches, no RegExp, no Via object); the
 * rewritten value replaces the top value where it stands.
 */
export function applyReceived(
  request: SipRequest,
  sourceAddress: string,
  sourcePort: number,
): boolean {
  const raw = request.topViaRaw;
  if (raw === undefined) return false;
  // quoted parameter values (rare) may hide a ';': those go through the grammar
  if (raw.indexOf('"') >= 0) return applyParsed(request, sourceAddress, sourcePort);
  const scan = scanParams(raw);
  // RFC 3581 §4: "rport" without a value asks for the source port, and then
  // received is added even when it equals the sent-by host.
  const rport = (scan >> 1) - 1;
  const wantsRport = rport >= 0;
  // RFC 3261 §18.2.1: "If the host portion of the "sent-by" parameter contains
  // a domain name, or if it contains an IP address that differs from the packet
  // source address, the server MUST add a "received" parameter".
  if (!wantsRport && sameHost(sentByHost(raw), sourceAddress)) return true;
  // a received already there is replaced: through the grammar too
  if ((scan & 1) === 0) return applyParsed(request, sourceAddress, sourcePort);
  // plain text edit: fill rport in place, append received
  const edited = wantsRport
    ? `${raw.slice(0, rport)};rport=${portText(sourcePort)}${raw.slice(paramEnd(raw, rport, 5))};received=${sourceAddress}`
    : `${raw};received=${sourceAddress}`;
  // Only the top value changes: serialisation copies every other header
  // line byte for byte (the parser keeps untouched lines as slices).
  request.replaceTopVia(edited);
  return true;
}

/** The same edit on the parsed Via (quoted values, a received to replace). */
function applyParsed(request: SipRequest, sourceAddress: string, sourcePort: number): boolean {
  const via = request.topVia!;
  const wantsRport = via.params.has('rport') && via.params.get('rport') === null;
  if (!wantsRport && sameHost(via.host, sourceAddress)) return true;
  const params = new Map(via.params);
  params.set('received', sourceAddress);
  if (wantsRport) params.set('rport', String(sourcePort));
  request.replaceTopVia(serializeVia({ ...via, params }));
  return true;
}

/**
 * The parameters of a Via value without quoted values (its grammar already
 * checked by topViaRaw), found with native ';' searches (a character loop
 * over the sliced value costs more). Returns (i + 1) * 2 + plain, where i is
 * the index of the ';' that starts a bare `rport` (RFC 3581 §3: no value)
 * or -1, and plain is 0 when a `received` parameter is already there.
 */
function scanParams(raw: string): number {
  let rport = -1;
  let plain = 1;
  for (let semi = raw.indexOf(';'); semi >= 0; semi = raw.indexOf(';', semi + 1)) {
    let i = semi + 1;
    while (isWs(raw.charCodeAt(i))) i++;
    if ((raw.charCodeAt(i) | 0x20) !== 0x72 /* r */) continue;
    if (rport < 0 && nameIs(raw, i, 'rport') && isBareEnd(raw, i + 5)) rport = semi;
    else if (nameIs(raw, i, 'received') && isNameEnd(raw.charCodeAt(i + 8))) plain = 0;
  }
  return (rport + 1) * 2 + plain;
}

/** Only whitespace between `i` and the next ';' or the end: a parameter without a value. */
function isBareEnd(raw: string, i: number): boolean {
  while (isWs(raw.charCodeAt(i))) i++;
  return i === raw.length || raw.charCodeAt(i) === 0x3b;
}

/** The character after a parameter name: '=', ';', whitespace or the end (NaN). */
function isNameEnd(c: number): boolean {
  return c !== c || c === 0x3d || c === 0x3b || isWs(c);
}

/** raw has `name` (lowercase ASCII) at `at`, compared case-insensitively. */
function nameIs(raw: string, at: number, name: string): boolean {
  for (let k = 0; k < name.length; k++)
    if ((raw.charCodeAt(at + k) | 0x20) !== name.charCodeAt(k)) return false;
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
