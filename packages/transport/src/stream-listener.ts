/** TCP and TLS listeners (RFC 3261 §18, TLS per §26.2.1, 1.2 or newer). */
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { normalizeAddress } from './address.js';
import type { ListenerConfig } from './config.js';
import { describeBound, type BoundListener } from './listener.js';
import { loadTls } from './tls-material.js';

export type AcceptHandler = (listener: StreamListener, socket: net.Socket) => void;

export class StreamListener {
  readonly config: ListenerConfig;
  bound: BoundListener | null = null;
  private readonly server: net.Server;

  constructor(config: ListenerConfig, log: Logger, onAccept: AcceptHandler) {
    this.config = config;
    if (config.transport === 'tls') {
      const m = loadTls(config.tls ?? {});
      this.server = tls.createServer({
        ...(m.cert !== undefined ? { cert: m.cert } : {}),
        ...(m.key !== undefined ? { key: m.key } : {}),
        ...(m.ca !== undefined ? { ca: m.ca } : {}),
        minVersion: m.minVersion,
        requestCert: m.requestCert,
        rejectUnauthorized: m.requestCert && m.rejectUnauthorized,
      });
      this.server.on('secureConnection', (socket: tls.TLSSocket) => onAccept(this, socket));
      // handshake failures: the socket is already destroyed; just note it
      this.server.on('tlsClientError', (err) => log.debug({ err }, 'tls handshake failed'));
    } else {
      this.server = net.createServer((socket) => onAccept(this, socket));
    }
    this.server.on('error', (err) => log.warn({ err }, 'listener error'));
  }

  start(): Promise<BoundListener> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(
        {
          host: this.config.address,
          port: this.config.port,
          ipv6Only: this.config.address.includes(':'),
          exclusive: false,
        },
        () => {
          this.server.off('error', onError);
          const a = this.server.address() as net.AddressInfo;
          this.bound = describeBound(this.config, normalizeAddress(a.address), a.port);
          resolve(this.bound);
        },
      );
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
