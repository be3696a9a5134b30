/**
 * Server-side Via processing on every received request:
 * RFC 3261 §18.2.1 (received) and RFC 3581 §4 (rport).
 */
import { serializeVia, type SipRequest, type Via } from '@strata/parser';
import { normalizeAddress } from './address.js';

/**
 * Add `received` / fill `rport` in the request's top Via, in place. Only the
 * top Via value is rewritten (other Via values and lines keep their bytes).
 * Returns the (possibly updated) top Via. Throws SipParseError when the top
 * Via is malformed; returns undefined when the request has no Via.
 */
export function applyReceived(
  request: SipRequest,
  sourceAddress: string,
  sourcePort: number,
): Via | undefined {
  const via = request.topVia;
  if (via === undefined) return undefined;
  const params = via.params;
  // RFC 3581 §4: "rport" without a value asks for the source port ...
  const wantsRport = params.has('rport') && params.get('rport') === null;
  // RFC 3261 §18.2.1: "If the host portion of the "sent-by" parameter contains
  // a domain name, or if it contains an IP address that differs from the packet
  // source address, the server MUST add a "received" parameter".
  // RFC 3581 §4: with rport, received is added even when they are equal.
  const needsReceived = wantsRport || !sameHost(via.host, sourceAddress);
  if (!needsReceived) return via;

  const edited: Via = {
    protocol: via.protocol,
    transport: via.transport,
    host: via.host,
    port: via.port,
    params: new Map(params),
  };
  edited.params.set('received', sourceAddress);
  if (wantsRport) edited.params.set('rport', String(sourcePort));
  // Pop the top value and push its rewrite: serialisation copies every other
  // header line byte for byte (the parser keeps untouched lines as slices).
  request.headers.removeFirstValue('via');
  request.headers.prepend('Via', serializeVia(edited));
  return edited;
}

function sameHost(viaHost: string, sourceAddress: string): boolean {
  // fast path: IPv4 sent-by written exactly as the socket reports it
  if (viaHost === sourceAddress) return true;
  return normalizeAddress(viaHost) === sourceAddress;
}
