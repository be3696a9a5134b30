/**
 * Where a response goes: RFC 3261 §18.2.2 with RFC 3581 §4 (rport).
 * A pure function of the top Via and the request's source.
 */
import { defaultPort, viaHost, type Via } from '@strata/parser';
import { normalizeAddress, protocolFromVia } from './address.js';
import type { Destination, MessageSource, TransportProtocol } from './types.js';

/**
 * Order:
 * 1. reliable transport and the request's connection: "the response MUST be
 *    sent using the existing connection to the source of the original
 *    request"; the address/port kept beside it are the fallback when that
 *    connection has closed ("open a connection to the IP address in the
 *    received parameter ... using the port in the sent-by value, or the default
 *    port").
 * 2. `received` / `rport`: RFC 3581 §4 "the response MUST be sent to the IP
 *    address listed in the received parameter, and the port in the rport
 *    parameter"; §18.2.2 "if the top Via has a received parameter, the response
 *    MUST be sent to the address in the received parameter".
 * 3. `maddr`: "forwarded to the address listed there, using the port indicated
 *    in sent-by, or port 5060 if none is present".
 * 4. sent-by, default port for the transport (5060, 5061 for TLS; RFC 7118 §5:
 *    80/443 for WS/WSS).
 *
 * Deviation, on purpose: §18.2.2 checks maddr before received. We honour what
 * we observed on the wire first, so a Via from an untrusted sender cannot steer
 * responses to a third party with maddr while we know where it really is
 * (reflection). maddr still applies when the sender's sent-by was its source.
 */
export function responseDestination(topVia: Via, source?: MessageSource): Destination {
  // The transport the request really came over wins over what its Via claims.
  const transport: TransportProtocol =
    source?.transport ?? protocolFromVia(topVia.transport) ?? 'udp';
  const sentByPort = topVia.port ?? defaultPort(topVia.transport);
  const received = topVia.params.get('received') ?? null;
  const rportText = topVia.params.get('rport') ?? null;
  const rport = rportText === null ? NaN : Number(rportText);

  if (transport !== 'udp' && source !== undefined && source.connectionId !== null) {
    return {
      transport,
      address: received !== null ? normalizeAddress(received) : source.address,
      port: sentByPort,
      connectionId: source.connectionId,
    };
  }
  if (received !== null || Number.isInteger(rport)) {
    return {
      transport,
      address: normalizeAddress(received ?? viaHost(topVia)),
      port: Number.isInteger(rport) ? rport : sentByPort,
    };
  }
  const maddr = topVia.params.get('maddr') ?? null;
  if (maddr !== null) {
    return { transport, address: normalizeAddress(maddr), port: topVia.port ?? 5060 };
  }
  return { transport, address: normalizeAddress(viaHost(topVia)), port: sentByPort };
}
