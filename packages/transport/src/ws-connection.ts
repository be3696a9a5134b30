/**
 * WS and WSS connections (RFC 7118). §5: "Each SIP message MUST be carried
 * within a single WebSocket message", so the WebSocket frame is the framing:
 * no StreamFramer, and messages are parsed like datagrams.
 */
import type { WebSocket } from 'ws';
import { normalizeAddress } from './address.js';
import { newConnectionId, type Connection, type ConnectionOwner } from './connection.js';
import { TransportError } from './errors.js';
import { toTransportError } from './send-errors.js';
import type { TransportProtocol } from './types.js';

export interface WsPeer {
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
}

export class WsConnection implements Connection {
  readonly id: string;
  readonly transport: TransportProtocol;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly outbound: boolean;
  readonly aliases: string[] = [];
  private readonly ws: WebSocket;
  private readonly owner: ConnectionOwner;
  private readonly idle: NodeJS.Timeout;
  private paused = false;

  constructor(
    transport: TransportProtocol,
    ws: WebSocket,
    peer: WsPeer,
    owner: ConnectionOwner,
    outbound: boolean,
  ) {
    this.id = newConnectionId(transport);
    this.transport = transport;
    this.ws = ws;
    this.owner = owner;
    this.outbound = outbound;
    this.remoteAddress = normalizeAddress(peer.remoteAddress);
    this.remotePort = peer.remotePort;
    this.localAddress = normalizeAddress(peer.localAddress);
    this.localPort = peer.localPort;
    this.idle = setTimeout(() => {
      owner.counters.idleTimeouts++;
      ws.terminate();
    }, owner.options.idleTimeoutMs);
    this.idle.unref();
    ws.on('message', (data, isBinary) => this.onMessage(toBuffer(data), isBinary));
    ws.on('pong', () => this.idle.refresh());
    ws.on('error', (err) => owner.log.debug({ conn: this.id, err }, 'websocket error'));
    ws.on('close', () => {
      clearTimeout(this.idle);
      owner.closed(this);
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  private onMessage(bytes: Buffer, _isBinary: boolean): void {
    this.idle.refresh();
    if (isOnlyCrlf(bytes)) {
      // RFC 5626 §3.5.1 keep-alives carried in a WebSocket message (some clients do this)
      if (bytes.length >= 4) {
        this.owner.counters.keepAlivePings++;
        if (this.isOpen) this.ws.send('\r\n');
      }
      return;
    }
    if (bytes.length > this.owner.options.maxMessageSize) {
      this.owner.counters.droppedOversize++;
      return;
    }
    this.owner.frame(this, bytes);
  }

  write(bytes: Buffer): Promise<void> {
    if (!this.isOpen) {
      return Promise.reject(
        new TransportError('CONNECTION_CLOSED', `connection ${this.id} is closed`),
      );
    }
    this.idle.refresh();
    return new Promise<void>((resolve, reject) => {
      // RFC 7118 §5: text frames for SIP that is UTF-8, which is what we send
      this.ws.send(bytes, { binary: false }, (err) => {
        if (this.paused && this.ws.bufferedAmount < this.owner.options.wsHighWaterMark / 2) {
          this.paused = false;
          this.ws.resume();
        }
        if (err) reject(toTransportError(err, `write on ${this.id}`));
        else resolve();
      });
      // Backpressure: stop reading while our send queue is above the high-water mark.
      if (!this.paused && this.ws.bufferedAmount > this.owner.options.wsHighWaterMark) {
        this.paused = true;
        this.owner.counters.backpressurePauses++;
        this.ws.pause();
      }
    });
  }

  end(): void {
    if (this.isOpen) this.ws.close(1000);
  }

  destroy(): void {
    this.ws.terminate();
  }
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function isOnlyCrlf(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0x0d && b[i] !== 0x0a) return false;
  return true;
}
