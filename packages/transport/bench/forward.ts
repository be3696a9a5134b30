/**
 * The relay's own work on one datagram, without sockets: what SipTransport
 * and the bench relay do between the 'message' event and dgram's send —
 * parseMessage, the RFC 3261 §18.2.1 / RFC 3581 received/rport edit of the
 * top Via, pushing our Via, serializeMessage. Shared by forward-time (ns per
 * message) and forward-instructions (callgrind).
 *
 *   BENCH_VIA=plain   a Via without rport naming its source (nothing to add), as in udp-relay
 *   BENCH_PORTS=n     the datagrams come from n source ports in turn (many
 *                     clients behind NAT, each rport= a new port) instead of one
 */
import { parseMessage, serializeMessage, type SipRequest } from '@strata/parser';
import { applyReceived } from '../src/via-received.js';
import { BRANCH_RING, invite } from './message.js';

export const RPORT = (process.env.BENCH_VIA ?? 'rport') === 'rport';
export const PORTS = Math.max(1, Number(process.env.BENCH_PORTS ?? 1));

export function describeForward(): string {
  return (
    `parse, received/rport, Via push, serialise; Via ${RPORT ? 'rport' : 'plain'}, ` +
    `${PORTS} source port${PORTS === 1 ? '' : 's'}`
  );
}

/** forward(i): the i-th datagram (256 INVITEs in turn); returns the bytes it would send. */
export function makeForward(): (i: number) => number {
  const messages = Array.from({ length: 256 }, (_, i) => invite('127.0.0.1', 40000, i, RPORT));
  const via = 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKbench';
  return (i) => {
    const msg = parseMessage(messages[i & 255]!) as SipRequest;
    applyReceived(msg, '127.0.0.1', PORTS === 1 ? 40000 : 1024 + (i % PORTS));
    msg.headers.prepend('Via', via + BRANCH_RING[i & 4095]!);
    return serializeMessage(msg).length;
  };
}
