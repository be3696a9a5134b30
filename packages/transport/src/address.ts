/** Address helpers: one spelling per IP so table keys and comparisons agree. */
import { isIPv4, isIPv6 } from 'node:net';
import { portText } from './port-text.js';
import type { TransportProtocol } from './types.js';

const V4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/**
 * Canonical form of an IP address as sockets report it: IPv4-mapped IPv6
 * ("::ffff:1.2.3.4", seen on dual-stack sockets) becomes plain IPv4, IPv6 is
 * lowercased and compressed, brackets are removed. Names are lowercased.
 */
export function normalizeAddress(address: string): string {
  let a = address;
  if (a.charCodeAt(0) === 0x5b /* [ */ && a.endsWith(']')) a = a.slice(1, -1);
  if (isIPv4(a)) return a;
  if (isIPv6(a)) {
    const mapped = V4_MAPPED.exec(a);
    if (mapped !== null) return mapped[1]!;
    // WHATWG URL host serialisation is the RFC 5952 canonical text form
    return new URL(`http://[${a}]/`).hostname.slice(1, -1);
  }
  return a.toLowerCase();
}

/** The host as it is written in a Via sent-by or a URI: IPv6 in brackets (RFC 3261 §25.1). */
export function hostForVia(address: string): string {
  return isIPv6(address) ? `[${address}]` : address;
}

export function familyOf(address: string): 4 | 6 {
  return isIPv6(address) ? 6 : 4;
}

export function isIpAddress(address: string): boolean {
  return isIPv4(address) || isIPv6(address);
}

/** Wildcard bind addresses cannot be advertised as a sent-by. */
export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** Connection table key: (transport, remote address, remote port). */
export function flowKey(transport: TransportProtocol, address: string, port: number): string {
  return `${transport}|${address}|${portText(port)}`;
}

/** "UDP" | "TCP" … as written in a Via sent-protocol, from our lowercase protocol name. */
export function viaTransportName(transport: TransportProtocol): string {
  return transport.toUpperCase();
}

/** Lowercase protocol from a Via transport token; null for ones we do not speak (SCTP…). */
export function protocolFromVia(token: string): TransportProtocol | null {
  switch (token.toUpperCase()) {
    case 'UDP':
      return 'udp';
    case 'TCP':
      return 'tcp';
    case 'TLS':
      return 'tls';
    case 'WS':
      return 'ws';
    case 'WSS':
      return 'wss';
    default:
      return null;
  }
}

/** RFC 3261 §17.1.1.2 / §18: everything but UDP is reliable here. */
export function isReliableProtocol(transport: TransportProtocol): boolean {
  return transport !== 'udp';
}
