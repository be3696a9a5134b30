/**
 * HEPv3 export over UDP to a Homer collector (heplify-server, homer-app). Fire and forget:
 * a send error is counted, never thrown; nothing waits for the collector. Apps build one
 * only when `hep.enabled` — disabled tracing costs nothing (no wrapper, no branch).
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { encodeHep3, HEP_PROTO_TCP, HEP_PROTO_UDP } from './hep.js';

export interface HepExporterOptions {
  host: string;
  port: number;
  /** capture agent id (chunk 12) */
  captureId: number;
  /** optional auth key (chunk 14) the collector checks */
  authKey?: string | undefined;
  logger?: Logger;
}

export interface HepAddress {
  address: string;
  port: number;
}

export class HepExporter {
  readonly stats = { sent: 0, errors: 0 };
  private socket: dgram.Socket | null = null;
  private address = '';
  private warned = false;
  private readonly onSent = (err: Error | null): void => {
    if (err === null) {
      this.stats.sent++;
      return;
    }
    this.stats.errors++;
    if (!this.warned) {
      this.warned = true;
      this.options.logger?.warn({ err }, 'HEP send failed (further failures are only counted)');
    }
  };

  constructor(private readonly options: HepExporterOptions) {}

  async start(): Promise<void> {
    const host = this.options.host;
    this.address = isIP(host) !== 0 ? host : (await lookup(host)).address;
    const socket = dgram.createSocket(isIP(this.address) === 6 ? 'udp6' : 'udp4');
    socket.on('error', (err) => this.onSent(err));
    socket.unref();
    this.socket = socket;
  }

  /**
   * One SIP message seen on the wire. `transport` is the SIP transport (udp → IP protocol
   * 17, every stream transport → 6); `correlationId` is the Call-ID.
   */
  capture(
    payload: Uint8Array,
    transport: string,
    src: HepAddress,
    dst: HepAddress,
    correlationId: string | null,
    timeMs = Date.now(),
  ): void {
    const socket = this.socket;
    if (socket === null) return;
    let packet: Buffer;
    try {
      packet = encodeHep3({
        ipProtocol: transport === 'udp' ? HEP_PROTO_UDP : HEP_PROTO_TCP,
        srcAddress: src.address,
        srcPort: src.port,
        dstAddress: dst.address,
        dstPort: dst.port,
        timeMs,
        captureId: this.options.captureId,
        authKey: this.options.authKey ?? null,
        correlationId,
        payload,
      });
    } catch (err) {
      this.onSent(err as Error);
      return;
    }
    socket.send(packet, this.options.port, this.address, this.onSent);
  }

  close(): Promise<void> {
    const s = this.socket;
    this.socket = null;
    if (s === null) return Promise.resolve();
    return new Promise((resolve) => s.close(() => resolve()));
  }
}
