/** WS and WSS listeners (RFC 7118) on an HTTP(S) server, using `ws`. */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { normalizeAddress } from './address.js';
import type { ListenerConfig } from './config.js';
import { describeBound, type BoundListener } from './listener.js';
import { loadTls } from './tls-material.js';

export type WsAcceptHandler = (listener: WsListener, ws: WebSocket, socket: Socket) => void;

/** RFC 7118 §4: the WebSocket subprotocol for SIP. */
export const SIP_SUBPROTOCOL = 'sip';

export class WsListener {
  readonly config: ListenerConfig;
  bound: BoundListener | null = null;
  private readonly server: http.Server;
  private readonly wss: WebSocketServer;

  constructor(
    config: ListenerConfig,
    log: Logger,
    maxMessageSize: number,
    onAccept: WsAcceptHandler,
  ) {
    this.config = config;
    if (config.transport === 'wss') {
      const m = loadTls(config.tls ?? {});
      this.server = https.createServer({
        ...(m.cert !== undefined ? { cert: m.cert } : {}),
        ...(m.key !== undefined ? { key: m.key } : {}),
        ...(m.ca !== undefined ? { ca: m.ca } : {}),
        minVersion: m.minVersion,
      });
      this.server.on('tlsClientError', (err) => log.debug({ err }, 'wss handshake failed'));
    } else {
      this.server = http.createServer();
    }
    // plain HTTP requests: this endpoint only speaks WebSocket
    this.server.on('request', (_req, res) => {
      res.writeHead(426, { Upgrade: 'websocket' }).end();
    });
    this.server.on('clientError', (_err, socket) => socket.destroy());
    this.server.on('error', (err) => log.warn({ err }, 'listener error'));
    this.wss = new WebSocketServer({
      server: this.server,
      maxPayload: maxMessageSize,
      ...(config.path !== undefined ? { path: config.path } : {}),
      // RFC 7118 §4: the server selects "sip" when the client offers it
      handleProtocols: (protocols) => (protocols.has(SIP_SUBPROTOCOL) ? SIP_SUBPROTOCOL : false),
    });
    this.wss.on('error', (err) => log.warn({ err }, 'websocket server error'));
    this.wss.on('connection', (ws, req) => {
      // RFC 7118 §4: without the "sip" subprotocol there is no SIP over this WebSocket
      ws.on('error', (err) => log.debug({ err }, 'websocket error'));
      if (ws.protocol !== SIP_SUBPROTOCOL) {
        ws.close(1002, 'the sip subprotocol is required');
        return;
      }
      onAccept(this, ws, req.socket);
    });
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
          const a = this.server.address() as AddressInfo;
          this.bound = describeBound(this.config, normalizeAddress(a.address), a.port);
          resolve(this.bound);
        },
      );
    });
  }

  stop(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    return new Promise((resolve) => {
      this.wss.close(() => this.server.close(() => resolve()));
    });
  }
}
