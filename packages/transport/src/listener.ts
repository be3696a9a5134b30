/** What every listener reports once bound. */
import { networkInterfaces } from 'node:os';
import { familyOf, isWildcard } from './address.js';
import type { ListenerConfig } from './config.js';
import type { TransportProtocol } from './types.js';

export interface BoundListener {
  transport: TransportProtocol;
  /** bound address (normalised) and the actual port (after port 0) */
  address: string;
  port: number;
  family: 4 | 6;
  /** sent-by host (IPv6 without brackets) and port written in our Via */
  advertisedHost: string;
  advertisedPort: number;
}

export function describeBound(
  config: ListenerConfig,
  address: string,
  port: number,
): BoundListener {
  const family = familyOf(address);
  return {
    transport: config.transport,
    address,
    port,
    family,
    advertisedHost:
      config.advertise?.host ?? (isWildcard(address) ? firstAddress(family) : address),
    advertisedPort: config.advertise?.port ?? port,
  };
}

/** A wildcard bind cannot be a sent-by: take the first non-internal interface address. */
function firstAddress(family: 4 | 6): string {
  const want = family === 4 ? 'IPv4' : 'IPv6';
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      // link-local IPv6 needs a zone id, useless in a Via
      if (!a.internal && a.family === want && !a.address.startsWith('fe80')) return a.address;
    }
  }
  return family === 4 ? '127.0.0.1' : '::1';
}
