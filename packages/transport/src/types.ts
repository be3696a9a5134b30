/**
 * The transport contract (ARCHITECTURE.md §2): the layers above see `send`
 * and an `onMessage` subscription, nothing about sockets.
 */
import type { SipMessage } from '@strata/parser';

export type TransportProtocol = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** A remote or local transport address. IPv6 addresses are written without brackets. */
export interface Endpoint {
  transport: TransportProtocol;
  address: string;
  port: number;
}

/** Where a received message came from, and through which socket. */
export interface MessageSource extends Endpoint {
  /** the local listening address/port the message arrived on */
  localAddress: string;
  localPort: number;
  /** the stream connection it arrived on (tcp/tls/ws/wss), or null for udp */
  connectionId: string | null;
}

/** Where to send. A connectionId, when still open, wins over address/port (RFC 3261 §18.2.2). */
export interface Destination extends Endpoint {
  connectionId?: string | null;
  /**
   * UDP: send from the listener bound here (a response leaves from the
   * socket its request arrived on, so NAT bindings match). Default: the
   * first UDP listener of the destination's address family.
   */
  localAddress?: string;
  localPort?: number;
}

export type MessageHandler = (message: SipMessage, source: MessageSource) => void;

/** The sent-by a layer above writes into its own Via for a given destination. */
export interface ViaAddress {
  /** "UDP", "TCP", "TLS", "WS", "WSS" */
  transport: string;
  host: string;
  port: number;
}

export interface Transport {
  /** Send a message (serialised here) or raw bytes. Rejects with TransportError. */
  send(message: SipMessage | Uint8Array, destination: Destination): Promise<void>;
  /** Subscribe to received, parsed messages. Returns an unsubscribe function. */
  onMessage(handler: MessageHandler): () => void;
  /** The Via sent-by to use when sending to this destination. */
  viaFor(destination: Endpoint): ViaAddress;
  /** reliable transports turn off retransmission timers (RFC 3261 §17.1.1.2) */
  isReliable(transport: TransportProtocol): boolean;
}
