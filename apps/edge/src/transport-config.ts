/** Config listeners → transport listeners (shared shape with the core). */
import type { ListenerConfig } from '@strata/config';
import type { ListenerConfig as TransportListener } from '@strata/transport';

export interface UdpTuning {
  recvBufferSize?: number | undefined;
  sendBufferSize?: number | undefined;
}

export function transportListeners(
  listen: readonly ListenerConfig[],
  udp: UdpTuning = {},
): TransportListener[] {
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
