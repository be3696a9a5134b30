/**
 * SipTransport: the listeners, the connection table and the receive/send
 * paths (RFC 3261 §18). Knows nothing about transactions: it hands parsed
 * messages up with their source and sends what it is given.
 */
import { lookup } from 'node:dns/promises';
import type { RemoteInfo } from 'node:dgram';
import { isIP } from 'node:net';
import type { Socket } from 'node:net';
import { pino, type Logger } from 'pino';
import type { WebSocket } from 'ws';
import {
  defaultPort,
  DEFAULT_LIMITS,
  parseMessage,
  serializeMessage,
  SipParseError,
  type ParseOptions,
  type SipMessage,
  type SipResponse,
} from '@strata/parser';
import {
  familyOf,
  hostForVia,
  isIpAddress,
  isReliableProtocol,
  normalizeAddress,
  viaTransportName,
} from './address.js';
import { resolveOptions, type ResolvedOptions, type SipTransportOptions } from './config.js';
import type { Connection, ConnectionOwner } from './connection.js';
import { ConnectionTable } from './connection-table.js';
import { connect } from './connector.js';
import { errorResponseFor } from './error-response.js';
import { TransportError } from './errors.js';
import type { BoundListener } from './listener.js';
import { responseDestination } from './response-destination.js';
import { toTransportError, wasCounted } from './send-errors.js';
import { SocketConnection } from './socket-connection.js';
import { createStats, snapshotStats, type TransportStats } from './stats.js';
import { StreamListener } from './stream-listener.js';
import { loadTls, type LoadedTls } from './tls-material.js';
import type {
  Destination,
  Endpoint,
  MessageHandler,
  MessageSource,
  Transport,
  TransportProtocol,
  ViaAddress,
} from './types.js';
import { UdpListener } from './udp-listener.js';
import { rewriteTopViaTransport } from './udp-fallback.js';
import { applyReceived } from './via-received.js';
import { WsConnection } from './ws-connection.js';
import { WsListener } from './ws-listener.js';

type AnyListener = UdpListener | StreamListener | WsListener;

export class SipTransport implements Transport, ConnectionOwner {
  readonly options: ResolvedOptions;
  readonly counters: TransportStats;
  readonly log: Logger;
  private readonly config: SipTransportOptions;
  private readonly parseStream: ParseOptions;
  private readonly parseDatagram: ParseOptions;
  private readonly tlsClient: LoadedTls;
  private listenersList: AnyListener[] = [];
  private udp4: UdpListener | null = null;
  private udp6: UdpListener | null = null;
  private handlers: MessageHandler[] = [];
  private readonly table = new ConnectionTable();
  private readonly connecting = new Map<string, Promise<Connection>>();
  private started = false;
  /** udpFor's one-entry cache: last destination address, its family (0: not an IP) and socket spelling */
  private lastUdpDest = '';
  private lastUdpFamily = 0;
  private lastUdpAddress = '';

  constructor(options: SipTransportOptions) {
    this.config = options;
    this.options = resolveOptions(options);
    this.counters = createStats();
    this.log = (options.logger ?? pino({ level: 'info' })).child({ component: 'transport' });
    // Parse options are built once: the hot path allocates none.
    const limits =
      this.options.maxMessageSize > DEFAULT_LIMITS.maxMessageSize
        ? { limits: { maxMessageSize: this.options.maxMessageSize } }
        : {};
    this.parseStream = { framing: 'stream', ...limits };
    this.parseDatagram = { framing: 'datagram', ...limits };
    this.tlsClient = loadTls(this.options.tlsClient);
  }

  // ---- lifecycle ------------------------------------------------------------

  /** Bind every configured listener. On failure, whatever was bound is closed again. */
  async start(): Promise<void> {
    if (this.started) return;
    const list: AnyListener[] = this.config.listeners.map((cfg) => {
      switch (cfg.transport) {
        case 'udp':
          return new UdpListener(cfg, this.log, this.counters, (l, bytes, rinfo) =>
            this.onDatagram(l, bytes, rinfo),
          );
        case 'tcp':
        case 'tls':
          return new StreamListener(cfg, this.log, (l, socket) => this.onAccept(l, socket));
        case 'ws':
        case 'wss':
          return new WsListener(cfg, this.log, this.options.maxMessageSize, (l, ws, socket) =>
            this.onWsAccept(l, ws, socket),
          );
      }
    });
    this.listenersList = list;
    try {
      await Promise.all(list.map((l) => l.start()));
    } catch (err) {
      await Promise.allSettled(list.map((l) => l.stop()));
      this.listenersList = [];
      throw err;
    }
    for (const l of list) {
      if (!(l instanceof UdpListener)) continue;
      if (l.bound!.family === 4) this.udp4 ??= l;
      else this.udp6 ??= l;
    }
    this.started = true;
    this.log.info({ listeners: this.listeners() }, 'transport started');
  }

  async stop(): Promise<void> {
    for (const c of [...this.table.all()]) c.destroy();
    await Promise.allSettled(this.listenersList.map((l) => l.stop()));
    this.listenersList = [];
    this.udp4 = this.udp6 = null;
    this.started = false;
  }

  /** The bound listeners with their actual ports (port 0 resolved). */
  listeners(): BoundListener[] {
    return this.listenersList.flatMap((l) => (l.bound === null ? [] : [{ ...l.bound }]));
  }

  /** The first bound listener of a transport (and family), for tests and tools. */
  listener(transport: TransportProtocol, family?: 4 | 6): BoundListener | undefined {
    return this.listeners().find(
      (l) => l.transport === transport && (family === undefined || l.family === family),
    );
  }

  // ---- contract -------------------------------------------------------------

  onMessage(handler: MessageHandler): () => void {
    this.handlers = [...this.handlers, handler];
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handler);
    };
  }

  isReliable(transport: TransportProtocol): boolean {
    return isReliableProtocol(transport);
  }

  /**
   * The sent-by for a Via on a message to `destination`: the advertised
   * host/port of the listener of that transport (and address family) that
   * will send it. IPv6 hosts come in brackets, ready for the Via.
   */
  viaFor(destination: Endpoint): ViaAddress {
    const l = this.senderListener(destination.transport, destination.address);
    if (l === undefined) {
      throw new TransportError('NO_LISTENER', `no ${destination.transport} listener`);
    }
    return {
      transport: viaTransportName(l.transport),
      host: hostForVia(l.advertisedHost),
      port: l.advertisedPort,
    };
  }

  stats(): TransportStats {
    const s = snapshotStats(this.counters);
    s.connectionsOpen = this.table.size;
    return s;
  }

  /** Open connections, for diagnostics and tests. */
  connections(): Connection[] {
    return [...this.table.all()];
  }

  // ---- sending --------------------------------------------------------------

  send(message: SipMessage | Uint8Array, destination: Destination): Promise<void> {
    const msg = message instanceof Uint8Array ? null : message;
    const bytes = msg === null ? asBuffer(message as Uint8Array) : serializeMessage(msg);
    const l = this.hotUdp(destination, bytes);
    if (l !== null) return l.send(bytes, destination.port, this.lastUdpAddress);
    return this.sendSlow(msg, bytes, destination);
  }

  /**
   * send() for a caller that does not wait for the outcome (a proxy's
   * forward): the same routes and the same TransportError, handed to
   * `failed` instead of rejecting a promise. On the UDP hot path there is no
   * promise per message (nor the microtask that settles it).
   */
  sendOrElse(
    message: SipMessage | Uint8Array,
    destination: Destination,
    failed: (err: TransportError) => void,
  ): void {
    const msg = message instanceof Uint8Array ? null : message;
    const bytes = msg === null ? asBuffer(message as Uint8Array) : serializeMessage(msg);
    const l = this.hotUdp(destination, bytes);
    if (l !== null) l.sendOrElse(bytes, destination.port, this.lastUdpAddress, failed);
    else this.sendSlow(msg, bytes, destination).catch(failed);
  }

  /**
   * The hot path (a stateless forward over UDP): an IP literal, no MTU
   * question, no socket chosen by the caller. Its listener, or null.
   */
  private hotUdp(destination: Destination, bytes: Buffer): UdpListener | null {
    if (
      destination.transport === 'udp' &&
      destination.localPort === undefined &&
      bytes.length <= this.options.udpMtuThreshold
    ) {
      return this.udpFor(destination.address);
    }
    return null;
  }

  /**
   * The UDP listener for an IP-literal destination, or null (a name, or no
   * listener of its family). The last destination is remembered in fields:
   * a forwarder sends to the same next hop over and over, and isIP (a RegExp)
   * per message is then skipped. Sets lastUdpAddress to the socket's spelling.
   */
  private udpFor(address: string): UdpListener | null {
    if (address !== this.lastUdpDest) {
      const family = isIP(address);
      this.lastUdpDest = address;
      this.lastUdpFamily = family;
      this.lastUdpAddress = family === 6 ? normalizeAddress(address) : address;
    }
    const family = this.lastUdpFamily;
    return family === 4 ? this.udp4 : family === 6 ? this.udp6 : null;
  }

  private async sendSlow(
    msg: SipMessage | null,
    bytes: Buffer,
    destination: Destination,
  ): Promise<void> {
    try {
      if (destination.transport === 'udp') await this.sendUdpMessage(msg, bytes, destination);
      else await this.sendStream(bytes, destination);
    } catch (err) {
      // UDP socket errors were counted by the listener already
      if (!wasCounted(err)) this.counters.sendErrors++;
      const e = toTransportError(err, `send to ${destination.address}:${destination.port}`);
      this.log.debug({ err: e, destination }, 'send failed');
      throw e;
    }
  }

  /**
   * Send a response where RFC 3261 §18.2.2 says (see responseDestination):
   * over the request's connection when it is still open, else to
   * received/rport, maddr or sent-by.
   */
  sendResponse(response: SipResponse, source?: MessageSource): Promise<void> {
    const via = response.topVia;
    if (via === undefined) {
      return Promise.reject(new TransportError('SEND_FAILED', 'response has no Via'));
    }
    const dest = responseDestination(via, source);
    // Answer from the socket the request came in on (NAT bindings are per socket).
    if (source !== undefined && dest.transport === 'udp') {
      return this.send(response, {
        ...dest,
        localAddress: source.localAddress,
        localPort: source.localPort,
      });
    }
    return this.send(response, dest);
  }

  private async sendUdpMessage(
    msg: SipMessage | null,
    bytes: Buffer,
    dest: Destination,
  ): Promise<void> {
    // RFC 3261 §18.1.1: "If a request is within 200 bytes of the path MTU, or if
    // it is larger than 1300 bytes and the path MTU is unknown, the request MUST
    // be sent using an RFC 2914 congestion controlled transport protocol, such
    // as TCP."
    if (bytes.length > this.options.udpMtuThreshold && (msg === null || msg.isRequest)) {
      const tcp = this.options.udpToTcpFallback
        ? this.senderListener('tcp', dest.address)
        : undefined;
      if (msg !== null && tcp !== undefined) {
        // "If this causes a change in the transport protocol from the one
        // indicated in the top Via, the value in the top Via MUST be changed."
        const tcpBytes = rewriteTopViaTransport(
          msg,
          'TCP',
          hostForVia(tcp.advertisedHost),
          tcp.advertisedPort,
        );
        if (tcpBytes !== null) {
          this.counters.udpToTcpSwitched++;
          try {
            await this.sendStream(tcpBytes, {
              transport: 'tcp',
              address: dest.address,
              port: dest.port,
            });
            return;
          } catch (err) {
            // "... results in a TCP reset, the element SHOULD retry the request, using UDP."
            if (!(err instanceof TransportError) || err.code !== 'CONNECTION_REFUSED') throw err;
          }
        }
      }
      this.counters.udpOversizeSent++;
    }
    await this.sendUdp(bytes, dest);
  }

  private async sendUdp(bytes: Buffer, dest: Destination): Promise<void> {
    const address = await this.resolve(dest.address);
    const l = this.udpSocketFor(address, dest);
    await l.send(bytes, dest.port, address);
  }

  private async sendStream(bytes: Buffer, dest: Destination): Promise<void> {
    const conn = await this.connectionFor(dest);
    await conn.write(bytes);
    this.counters.messagesOut[conn.transport]++;
  }

  /** Send from the listener the request came in on when named, else the first one of the family. */
  private udpSocketFor(address: string, dest: Destination): UdpListener {
    if (dest.localPort !== undefined) {
      for (const l of this.listenersList) {
        if (
          l instanceof UdpListener &&
          l.bound !== null &&
          l.bound.port === dest.localPort &&
          (dest.localAddress === undefined || l.bound.address === dest.localAddress) &&
          l.bound.family === familyOf(address)
        )
          return l;
      }
    }
    const l = familyOf(address) === 6 ? this.udp6 : this.udp4;
    if (l === null) {
      throw new TransportError('NO_LISTENER', `no UDP listener for IPv${familyOf(address)}`);
    }
    return l;
  }

  /**
   * The connection to use: the one named (RFC 3261 §18.2.2: the request's
   * connection), else an open one to the same flow (connection reuse,
   * RFC 5923), else a new one (§18.1.1, §18.2.2 fallback).
   */
  private async connectionFor(dest: Destination): Promise<Connection> {
    if (dest.connectionId != null) {
      const named = this.table.get(dest.connectionId);
      if (named !== undefined && named.isOpen) return named;
    }
    const address = await this.resolve(dest.address);
    const existing = this.table.find(dest.transport, address, dest.port);
    if (existing !== undefined) return existing;
    const key = `${dest.transport}|${address}|${dest.port}`;
    let pending = this.connecting.get(key);
    if (pending === undefined) {
      pending = this.open(dest.transport, address, dest.port);
      this.connecting.set(key, pending);
      const clear = (): void => {
        this.connecting.delete(key);
      };
      pending.then(clear, clear);
    }
    return pending;
  }

  private async open(
    transport: TransportProtocol,
    address: string,
    port: number,
  ): Promise<Connection> {
    if (this.table.size >= this.options.maxConnections) {
      throw new TransportError(
        'SEND_FAILED',
        `connection limit ${this.options.maxConnections} reached`,
      );
    }
    const c = await connect(
      transport,
      address,
      port,
      this.options.connectTimeoutMs,
      this.tlsClient,
    );
    const conn =
      c.kind === 'socket'
        ? new SocketConnection(transport, c.socket, this, true)
        : new WsConnection(transport, c.ws, peerOf(c.socket), this, true);
    this.counters.connectionsOutbound++;
    this.table.add(conn);
    this.log.debug({ conn: conn.id, address, port }, 'connected');
    return conn;
  }

  /** A name (sent-by without received) needs a lookup; RFC 3263 SRV/NAPTR is the layer above's job. */
  private async resolve(address: string): Promise<string> {
    if (isIpAddress(address)) return normalizeAddress(address);
    try {
      return normalizeAddress((await lookup(address)).address);
    } catch (err) {
      throw toTransportError(err, `resolve ${address}`);
    }
  }

  private senderListener(transport: TransportProtocol, address: string): BoundListener | undefined {
    const family = isIpAddress(address) ? familyOf(address) : 4;
    let any: BoundListener | undefined;
    for (const l of this.listenersList) {
      const b = l.bound;
      if (b === null || b.transport !== transport) continue;
      if (b.family === family) return b;
      any ??= b;
    }
    return any;
  }

  // ---- receiving --------------------------------------------------------------

  private onDatagram(l: UdpListener, bytes: Buffer, rinfo: RemoteInfo): void {
    if (bytes.length > this.options.maxMessageSize) {
      this.counters.droppedOversize++;
      this.log.debug({ size: bytes.length, from: rinfo.address }, 'oversize datagram dropped');
      return;
    }
    const bound = l.bound!;
    const source: MessageSource = {
      transport: 'udp',
      address: rinfo.family === 'IPv4' ? rinfo.address : normalizeAddress(rinfo.address),
      port: rinfo.port,
      localAddress: bound.address,
      localPort: bound.port,
      connectionId: null,
    };
    this.deliver(bytes, source, null, l);
  }

  private onAccept(l: StreamListener, socket: Socket): void {
    if (!this.admit(socket.remoteAddress)) {
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    this.accepted(new SocketConnection(l.config.transport, socket, this, false));
  }

  private onWsAccept(l: WsListener, ws: WebSocket, socket: Socket): void {
    if (!this.admit(socket.remoteAddress)) {
      ws.close(1013, 'try again later');
      return;
    }
    this.accepted(new WsConnection(l.config.transport, ws, peerOf(socket), this, false));
  }

  /** Max connections: beyond the limit, inbound connections are refused at once. */
  private admit(remote: string | undefined): boolean {
    if (this.table.size < this.options.maxConnections) return true;
    this.counters.connectionsRejected++;
    this.log.warn({ remote, limit: this.options.maxConnections }, 'connection refused: limit');
    return false;
  }

  private accepted(conn: Connection): void {
    this.counters.connectionsAccepted++;
    this.table.add(conn);
    this.log.debug(
      { conn: conn.id, remote: conn.remoteAddress, port: conn.remotePort },
      'accepted',
    );
  }

  /** ConnectionOwner: one framed message. */
  frame(conn: Connection, bytes: Buffer): void {
    const source: MessageSource = {
      transport: conn.transport,
      address: conn.remoteAddress,
      port: conn.remotePort,
      localAddress: conn.localAddress,
      localPort: conn.localPort,
      connectionId: conn.id,
    };
    this.deliver(bytes, source, conn, null);
  }

  /**
   * ConnectionOwner: the stream lost its framing. Answer when a request can
   * be identified in what was read (400, 413 …), then close: the rest of the
   * stream cannot be trusted (RFC 3261 §18.3).
   */
  framingError(conn: Connection, error: SipParseError, head: Buffer | null): void {
    if (error.code === 'MESSAGE_TOO_LARGE') this.counters.droppedOversize++;
    else this.counters.parseErrors++;
    this.log.debug({ conn: conn.id, code: error.code }, 'framing error, closing');
    const answer =
      head === null ? null : errorResponseFor(head, error, conn.remoteAddress, conn.remotePort);
    if (answer === null) {
      conn.destroy();
      return;
    }
    this.counters.errorResponsesSent++;
    conn.write(answer).then(
      () => conn.end(),
      () => conn.destroy(),
    );
  }

  /** ConnectionOwner */
  closed(conn: Connection): void {
    this.table.remove(conn);
    this.log.debug({ conn: conn.id }, 'closed');
  }

  /** Parse, check, process Via, hand up. */
  private deliver(
    bytes: Buffer,
    source: MessageSource,
    conn: Connection | null,
    udp: UdpListener | null,
  ): void {
    let msg: SipMessage;
    try {
      // TCP/TLS frames come from StreamFramer ('stream'); UDP datagrams and
      // WebSocket messages are whole messages ('datagram', RFC 7118 §5).
      msg = parseMessage(
        bytes,
        conn !== null && conn instanceof SocketConnection ? this.parseStream : this.parseDatagram,
      );
      if (msg.truncatedBy > 0) {
        // RFC 3261 §18.3: fewer body bytes than Content-Length in a datagram:
        // "If the message is a request, the server SHOULD generate a 400".
        throw new SipParseError(
          'BAD_CONTENT_LENGTH',
          'message shorter than its Content-Length',
          msg.isRequest ? 400 : null,
        );
      }
      if (msg.isRequest) {
        // RFC 3261 §18.2.1 / RFC 3581 §4
        if (!applyReceived(msg, source.address, source.port)) {
          this.counters.dropped++;
          return;
        }
        // RFC 5923 §5: "alias" asks us to reuse this connection for requests to its sent-by
        if (conn !== null && /alias/i.test(msg.topViaRaw!)) {
          const via = msg.topVia!;
          if (via.params.has('alias'))
            this.table.alias(conn, via.port ?? defaultPort(via.transport));
        }
      } else if (msg.topViaRaw === undefined) {
        // RFC 3261 §18.1.2: a response must carry our Via; without one it goes nowhere
        this.counters.dropped++;
        return;
      }
    } catch (err) {
      this.rejected(bytes, err, source, conn, udp);
      return;
    }
    this.counters.messagesIn[source.transport]++;
    const hs = this.handlers;
    for (let i = 0; i < hs.length; i++) {
      try {
        hs[i]!(msg, source);
      } catch (err) {
        this.log.error({ err }, 'message handler threw');
      }
    }
  }

  /** A message the parser refused: count it and answer when that is possible and safe. */
  private rejected(
    bytes: Buffer,
    err: unknown,
    source: MessageSource,
    conn: Connection | null,
    udp: UdpListener | null,
  ): void {
    if (!(err instanceof SipParseError)) {
      this.counters.dropped++;
      this.log.error({ err }, 'unexpected error while receiving');
      return;
    }
    if (err.code === 'MESSAGE_TOO_LARGE') this.counters.droppedOversize++;
    else this.counters.parseErrors++;
    this.log.debug(
      { code: err.code, reason: err.reason, from: source.address, port: source.port },
      'unparsable message',
    );
    const answer = errorResponseFor(bytes, err, source.address, source.port);
    if (answer === null) return;
    this.counters.errorResponsesSent++;
    if (conn === null) {
      udp!.sendAndForget(answer, source.port, source.address);
      return;
    }
    conn.write(answer).catch((e: unknown) => this.log.debug({ err: e }, 'error response not sent'));
  }
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function peerOf(socket: Socket): {
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
} {
  return {
    remoteAddress: socket.remoteAddress ?? '',
    remotePort: socket.remotePort ?? 0,
    localAddress: socket.localAddress ?? '',
    localPort: socket.localPort ?? 0,
  };
}
