/** A UDP listener: one dgram socket, one datagram = one message (RFC 3261 §18.3). */
import dgram from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { familyOf, normalizeAddress } from './address.js';
import type { ListenerConfig } from './config.js';
import { describeBound, type BoundListener } from './listener.js';
import type { TransportError } from './errors.js';
import { markCounted, toTransportError } from './send-errors.js';
import type { TransportStats } from './stats.js';

export type DatagramHandler = (
  listener: UdpListener,
  bytes: Buffer,
  rinfo: dgram.RemoteInfo,
) => void;

export class UdpListener {
  readonly config: ListenerConfig;
  readonly socket: dgram.Socket;
  bound: BoundListener | null = null;
  private readonly log: Logger;
  private readonly counters: TransportStats;

  constructor(
    config: ListenerConfig,
    log: Logger,
    counters: TransportStats,
    onDatagram: DatagramHandler,
  ) {
    this.config = config;
    this.log = log;
    this.counters = counters;
    this.socket = dgram.createSocket({
      type: familyOf(config.address) === 6 ? 'udp6' : 'udp4',
      // IPv6 sockets only: keep '::' from also taking IPv4 (a separate listener does that)
      ipv6Only: familyOf(config.address) === 6,
      ...(config.recvBufferSize !== undefined ? { recvBufferSize: config.recvBufferSize } : {}),
      ...(config.sendBufferSize !== undefined ? { sendBufferSize: config.sendBufferSize } : {}),
      lookup: literalLookup,
    });
    this.socket.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) =>
      onDatagram(this, msg, rinfo),
    );
    // ICMP errors and the like must never reach the process as an uncaught 'error'
    this.socket.on('error', (err) => this.log.warn({ err }, 'udp socket error'));
  }

  start(): Promise<BoundListener> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.socket.once('error', onError);
      // exclusive: false lets node:cluster workers share this socket (README: multi-process)
      this.socket.bind(
        { address: this.config.address, port: this.config.port, exclusive: false },
        () => {
          this.socket.off('error', onError);
          const a = this.socket.address();
          this.bound = describeBound(this.config, normalizeAddress(a.address), a.port);
          this.checkBufferSizes();
          resolve(this.bound);
        },
      );
    });
  }

  /**
   * The kernel caps SO_RCVBUF/SO_SNDBUF at net.core.rmem_max/wmem_max without an error; a
   * listener that got less than configured says so once, since the shortfall shows up only
   * as datagrams dropped under load. Linux reports twice the size it grants (socket(7)).
   */
  private checkBufferSizes(): void {
    const scale = process.platform === 'linux' ? 2 : 1;
    const check = (
      what: string,
      sysctl: string,
      wanted: number | undefined,
      got: () => number,
    ): void => {
      if (wanted === undefined) return;
      const granted = got() / scale;
      if (granted < wanted)
        this.log.warn(
          { address: this.bound?.address, port: this.bound?.port, wanted, granted, sysctl },
          `udp ${what} buffer smaller than configured: the kernel caps it at ${sysctl}`,
        );
    };
    check('receive', 'net.core.rmem_max', this.config.recvBufferSize, () =>
      this.socket.getRecvBufferSize(),
    );
    check('send', 'net.core.wmem_max', this.config.sendBufferSize, () =>
      this.socket.getSendBufferSize(),
    );
  }

  /** Send one datagram and count it. `address` must be an IP of this socket's family. */
  send(bytes: Buffer, port: number, address: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.send(bytes, port, address, (err) => {
        if (err) {
          this.counters.sendErrors++;
          reject(markCounted(toTransportError(err, `udp send to ${address}:${port}`)));
        } else {
          this.counters.messagesOut.udp++;
          resolve();
        }
      });
    });
  }

  /**
   * send() without a promise: `failed` gets the same counted TransportError
   * send() would reject with; success is only counted. (A forward's outcome
   * matters only when it fails; the promise and the microtask that settles
   * it were a measurable part of the forward path.)
   */
  sendOrElse(
    bytes: Buffer,
    port: number,
    address: string,
    failed: (err: TransportError) => void,
  ): void {
    this.socket.send(bytes, port, address, (err) => {
      if (err) {
        this.counters.sendErrors++;
        failed(markCounted(toTransportError(err, `udp send to ${address}:${port}`)));
      } else this.counters.messagesOut.udp++;
    });
  }

  /**
   * Send one datagram when nobody waits for the outcome (error responses to
   * unparsable datagrams): one preallocated callback counts it, no promise.
   */
  sendAndForget(bytes: Buffer, port: number, address: string): void {
    this.socket.send(bytes, port, address, this.counted);
  }

  private readonly counted = (err: Error | null): void => {
    if (err) {
      this.counters.sendErrors++;
      this.log.debug({ err }, 'udp send failed');
    } else this.counters.messagesOut.udp++;
  };

  stop(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // never bound or already closed
      }
    });
  }
}

/**
 * dgram passes every send's address through `lookup`; dns.lookup answers an
 * IP literal on the next tick, so each datagram cost one more nextTick. The
 * transport only hands IP literals to its sockets (names are resolved
 * before), so those are answered at once; anything else goes to dns.lookup.
 * A forwarder sends to the same next hop over and over: the last literal's
 * family is remembered, so isIP (RegExp tests) runs once per new address.
 */
let lastLiteral = '';
let lastFamily = 0;

function literalLookup(
  hostname: string,
  options: LookupOneOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  if (hostname !== lastLiteral) {
    const family = isIP(hostname);
    if (family === 0) {
      dnsLookup(hostname, options, callback);
      return;
    }
    lastLiteral = hostname;
    lastFamily = family;
  }
  callback(null, hostname, lastFamily);
}
