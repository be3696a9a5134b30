/** Transport configuration: listeners and limits, with the defaults in one place. */
import type { Logger } from 'pino';
import type { TransportProtocol } from './types.js';

/** Certificate material for TLS and WSS: file paths (production) or PEM text (tests). */
export interface TlsMaterial {
  certPath?: string;
  keyPath?: string;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** CA bundle used to verify peers (client certificates, outbound connections) */
  caPath?: string;
  ca?: string | Buffer;
  /** RFC 3261 §26.3.1 asks for TLS; we refuse anything older than 1.2 */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** ask inbound peers for a certificate (mutual TLS) */
  requestCert?: boolean;
  /** outbound: verify the server certificate (default true) */
  rejectUnauthorized?: boolean;
}

export interface ListenerConfig {
  transport: TransportProtocol;
  /** bind address: '127.0.0.1', '::1', '0.0.0.0', '::' … */
  address: string;
  /** 0 = any free port; the bound port is reported by `SipTransport.listeners()` */
  port: number;
  /** sent-by written in Via for messages this listener sends (NAT/public address); default: the bound address and port */
  advertise?: { host: string; port?: number };
  /** tls and wss only */
  tls?: TlsMaterial;
  /** udp only: SO_RCVBUF / SO_SNDBUF in bytes */
  recvBufferSize?: number;
  sendBufferSize?: number;
  /** ws/wss only: HTTP path accepted for the upgrade (default any) */
  path?: string;
}

export interface SipTransportOptions {
  listeners: ListenerConfig[];
  /** pino logger; the transport logs under `component: 'transport'` */
  logger?: Logger;
  /** largest message accepted on any transport, in bytes (413 / dropped beyond) */
  maxMessageSize?: number;
  /** stream connections without traffic for this long are closed */
  idleTimeoutMs?: number;
  /** inbound + outbound stream connections open at once */
  maxConnections?: number;
  /** outbound stream connect timeout */
  connectTimeoutMs?: number;
  /** RFC 3261 §18.1.1: send UDP requests larger than `udpMtuThreshold` over TCP */
  udpToTcpFallback?: boolean;
  /** RFC 3261 §18.1.1: 1300 bytes when the path MTU is unknown */
  udpMtuThreshold?: number;
  /** TLS client settings for outbound tls/wss connections */
  tlsClient?: TlsMaterial;
  /** per-connection write buffer above which reading pauses (ws/wss; net uses socket.write's own signal) */
  wsHighWaterMark?: number;
}

export interface ResolvedOptions {
  maxMessageSize: number;
  idleTimeoutMs: number;
  maxConnections: number;
  connectTimeoutMs: number;
  udpToTcpFallback: boolean;
  udpMtuThreshold: number;
  tlsClient: TlsMaterial;
  wsHighWaterMark: number;
}

export const DEFAULTS: Readonly<ResolvedOptions> = Object.freeze({
  maxMessageSize: 65_535,
  // Kamailio's tcp_connection_lifetime is 120 s; RFC 5626 keep-alives come every ~95–120 s
  idleTimeoutMs: 180_000,
  maxConnections: 10_000,
  connectTimeoutMs: 5_000,
  udpToTcpFallback: false,
  udpMtuThreshold: 1300,
  tlsClient: {},
  wsHighWaterMark: 256 * 1024,
});

export function resolveOptions(o: SipTransportOptions): ResolvedOptions {
  return {
    maxMessageSize: o.maxMessageSize ?? DEFAULTS.maxMessageSize,
    idleTimeoutMs: o.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs,
    maxConnections: o.maxConnections ?? DEFAULTS.maxConnections,
    connectTimeoutMs: o.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
    udpToTcpFallback: o.udpToTcpFallback ?? DEFAULTS.udpToTcpFallback,
    udpMtuThreshold: o.udpMtuThreshold ?? DEFAULTS.udpMtuThreshold,
    tlsClient: o.tlsClient ?? DEFAULTS.tlsClient,
    wsHighWaterMark: o.wsHighWaterMark ?? DEFAULTS.wsHighWaterMark,
  };
}
