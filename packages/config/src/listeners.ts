/**
 * Config listeners → the listener shape @strata/transport takes (declared
 * here structurally: config is a leaf package and imports no other layer).
 */
import type { ListenerConfig } from './schemas.js';

export interface UdpTuning {
  recvBufferSize?: number | undefined;
  sendBufferSize?: number | undefined;
}

export interface TransportListenerShape {
  transport: ListenerConfig['transport'];
  address: string;
  port: number;
  advertise?: { host: string; port?: number };
  tls?: { certPath: string; keyPath: string };
  recvBufferSize?: number;
  sendBufferSize?: number;
}

export function transportListeners(
  listen: readonly ListenerConfig[],
  udp: UdpTuning = {},
): TransportListenerShape[] {
  return listen.map((l) => ({
    transport: l.transport,
    address: l.host,
    port: l.port,
    ...(l.advertise !== undefined
      ? {
          advertise: {
            host: l.advertise,
            ...(l.advertisePort !== undefined ? { port: l.advertisePort } : {}),
          },
        }
      : {}),
    ...(l.cert !== undefined && l.key !== undefined
      ? { tls: { certPath: l.cert, keyPath: l.key } }
      : {}),
    ...(l.transport === 'udp' && udp.recvBufferSize !== undefined
      ? { recvBufferSize: udp.recvBufferSize }
      : {}),
    ...(l.transport === 'udp' && udp.sendBufferSize !== undefined
      ? { sendBufferSize: udp.sendBufferSize }
      : {}),
  }));
}
