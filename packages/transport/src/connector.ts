/**
 * Opening outbound stream connections on demand, bounded by a connect
 * timeout. Resolves with the connected socket or WebSocket; rejects with a
 * TransportError.
 */
import net from 'node:net';
import tls from 'node:tls';
import { WebSocket } from 'ws';
import { hostForVia, isIpAddress } from './address.js';
import { TransportError } from './errors.js';
import { toTransportError } from './send-errors.js';
import type { LoadedTls } from './tls-material.js';
import type { TransportProtocol } from './types.js';
import { SIP_SUBPROTOCOL } from './ws-listener.js';

export type Connected =
  { kind: 'socket'; socket: net.Socket } | { kind: 'ws'; ws: WebSocket; socket: net.Socket };

export function connect(
  transport: TransportProtocol,
  address: string,
  port: number,
  timeoutMs: number,
  tlsClient: LoadedTls,
): Promise<Connected> {
  const target = `${transport}:${hostForVia(address)}:${port}`;
  return new Promise<Connected>((resolve, reject) => {
    let settled = false;
    let abort: () => void = () => undefined;
    const timer = setTimeout(() => {
      fail(
        new TransportError(
          'CONNECT_TIMEOUT',
          `connect to ${target} timed out after ${timeoutMs} ms`,
        ),
      );
      abort();
    }, timeoutMs);
    function fail(err: unknown): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(toTransportError(err, `connect to ${target}`));
    }
    function done(c: Connected): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(c);
    }

    if (transport === 'tcp' || transport === 'tls') {
      const socket =
        transport === 'tcp'
          ? net.connect({ host: address, port })
          : tls.connect({
              host: address,
              port,
              // SNI only for names (RFC 6066 §3 forbids IP literals)
              ...(isIpAddress(address) ? {} : { servername: address }),
              ...(tlsClient.ca !== undefined ? { ca: tlsClient.ca } : {}),
              ...(tlsClient.cert !== undefined ? { cert: tlsClient.cert } : {}),
              ...(tlsClient.key !== undefined ? { key: tlsClient.key } : {}),
              minVersion: tlsClient.minVersion,
              rejectUnauthorized: tlsClient.rejectUnauthorized,
            });
      abort = () => socket.destroy();
      socket.once('error', fail);
      socket.once(transport === 'tcp' ? 'connect' : 'secureConnect', () => {
        socket.off('error', fail);
        if (settled) return;
        done({ kind: 'socket', socket });
      });
      return;
    }
    const scheme = transport === 'wss' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${hostForVia(address)}:${port}/`, SIP_SUBPROTOCOL, {
      handshakeTimeout: timeoutMs,
      ...(tlsClient.ca !== undefined ? { ca: tlsClient.ca } : {}),
      rejectUnauthorized: tlsClient.rejectUnauthorized,
      minVersion: tlsClient.minVersion,
    });
    abort = () => ws.terminate();
    let socket: net.Socket | null = null;
    ws.once('upgrade', (res) => {
      socket = res.socket;
    });
    ws.once('error', fail);
    ws.once('open', () => {
      ws.off('error', fail);
      if (settled || socket === null) return;
      done({ kind: 'ws', ws, socket });
    });
  });
}
