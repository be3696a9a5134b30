/** TCP and TLS connections: StreamFramer framing, keep-alive, idle timeout, backpressure. */
import type { Socket } from 'node:net';
import { StreamFramer } from '@strata/parser';
import { normalizeAddress } from './address.js';
import { newConnectionId, type Connection, type ConnectionOwner } from './connection.js';
import { TransportError } from './errors.js';
import { toTransportError } from './send-errors.js';
import type { TransportProtocol } from './types.js';

const CRLF = Buffer.from('\r\n', 'latin1');

export class SocketConnection implements Connection {
  readonly id: string;
  readonly transport: TransportProtocol;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly outbound: boolean;
  readonly aliases: string[] = [];
  private readonly socket: Socket;
  private readonly owner: ConnectionOwner;
  private readonly framer: StreamFramer;
  private open = true;
  private paused = false;

  constructor(
    transport: TransportProtocol,
    socket: Socket,
    owner: ConnectionOwner,
    outbound: boolean,
  ) {
    this.id = newConnectionId(transport);
    this.transport = transport;
    this.socket = socket;
    this.owner = owner;
    this.outbound = outbound;
    this.remoteAddress = normalizeAddress(socket.remoteAddress ?? '');
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = normalizeAddress(socket.localAddress ?? '');
    this.localPort = socket.localPort ?? 0;
    // RFC 3261 §18.3: on a stream, Content-Length delimits messages.
    this.framer = new StreamFramer(
      {
        onMessage: (bytes) => owner.frame(this, bytes),
        onKeepAlive: (kind) => this.keepAlive(kind),
        onError: (error, head) => owner.framingError(this, error, head),
      },
      { maxMessageSize: owner.options.maxMessageSize },
    );
    socket.setNoDelay(true);
    socket.setTimeout(owner.options.idleTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.framer.push(chunk));
    socket.on('timeout', () => {
      owner.counters.idleTimeouts++;
      owner.log.debug({ conn: this.id }, 'idle timeout');
      socket.destroy();
    });
    // Every socket error is reported through 'close'; without this listener it would throw.
    socket.on('error', (err) => owner.log.debug({ conn: this.id, err }, 'connection error'));
    socket.on('close', () => {
      this.open = false;
      owner.closed(this);
    });
  }

  get isOpen(): boolean {
    return this.open && !this.socket.destroyed;
  }

  write(bytes: Buffer): Promise<void> {
    if (!this.isOpen) {
      return Promise.reject(
        new TransportError('CONNECTION_CLOSED', `connection ${this.id} is closed`),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const ok = this.socket.write(bytes, (err) =>
        err ? reject(toTransportError(err, `write on ${this.id}`)) : resolve(),
      );
      if (!ok) this.pauseReading();
    });
  }

  /**
   * Backpressure: the kernel buffer and our write queue are full, so stop
   * reading (a peer that sends requests faster than it reads responses waits)
   * until the queue drains.
   */
  private pauseReading(): void {
    if (this.paused) return;
    this.paused = true;
    this.owner.counters.backpressurePauses++;
    this.socket.pause();
    this.socket.once('drain', () => {
      this.paused = false;
      this.socket.resume();
    });
  }

  /** RFC 5626 §3.5.1: "a double-CRLF ... the server MUST respond with a single CRLF". */
  private keepAlive(kind: 'ping' | 'pong'): void {
    if (kind !== 'ping') return;
    this.owner.counters.keepAlivePings++;
    if (this.isOpen) this.socket.write(CRLF);
  }

  end(): void {
    if (this.isOpen) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
