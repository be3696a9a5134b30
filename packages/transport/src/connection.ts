/**
 * One stream connection (TCP, TLS, WS, WSS), inbound or outbound. The
 * transport owns the table of them; a connection only moves bytes and reports
 * frames, framing errors and its close back to its owner.
 */
import type { Logger } from 'pino';
import type { SipParseError } from '@strata/parser';
import type { ResolvedOptions } from './config.js';
import type { TransportStats } from './stats.js';
import type { TransportProtocol } from './types.js';

/** What a connection needs from the transport that owns it. */
export interface ConnectionOwner {
  readonly options: ResolvedOptions;
  readonly counters: TransportStats;
  readonly log: Logger;
  /** one complete SIP message cut out of the connection */
  frame(conn: Connection, bytes: Buffer): void;
  /** the stream cannot be framed any more; `head` is the header section read, if any */
  framingError(conn: Connection, error: SipParseError, head: Buffer | null): void;
  closed(conn: Connection): void;
}

export interface Connection {
  readonly id: string;
  readonly transport: TransportProtocol;
  /** normalised (see normalizeAddress) */
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** we opened it (connect on demand) rather than accepted it */
  readonly outbound: boolean;
  /** flow keys this connection is registered under besides its own (RFC 5923 alias) */
  readonly aliases: string[];
  readonly isOpen: boolean;
  /** Write one message (or a keep-alive). Resolves once handed to the kernel. */
  write(bytes: Buffer): Promise<void>;
  /** Close after pending writes are flushed. */
  end(): void;
  /** Close now. */
  destroy(): void;
}

let nextId = 1;

/** Connection ids are unique per process: "<transport>-<pid>-<n>". */
export function newConnectionId(transport: TransportProtocol): string {
  return `${transport}-${process.pid}-${nextId++}`;
}
