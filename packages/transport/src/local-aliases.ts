/**
 * Every host:port under which peers may name this node in a Route or
 * Record-Route: the advertised sent-by, the bound address, every interface
 * address behind a wildcard bind, and the addresses an advertised hostname
 * resolves to. Peers rewrite our URIs (a B2BUA or a NAT helper may put our IP
 * where we wrote a name), and a proxy must still recognise its own route.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { isWildcard } from './address.js';
import type { BoundListener } from './listener.js';
import type { TransportProtocol } from './types.js';

export interface LocalAlias {
  transport: TransportProtocol;
  host: string;
  port: number;
}

export async function localAliases(listeners: readonly BoundListener[]): Promise<LocalAlias[]> {
  const seen = new Set<string>();
  const out: LocalAlias[] = [];
  const add = (transport: TransportProtocol, host: string, port: number): void => {
    const key = `${transport}|${host.toLowerCase()}|${port}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ transport, host: host.toLowerCase(), port });
  };
  for (const l of listeners) {
    // the advertised sent-by first: it is what we write
    add(l.transport, l.advertisedHost, l.advertisedPort);
    if (isIP(l.advertisedHost) === 0) {
      try {
        for (const a of await lookup(l.advertisedHost, { all: true }))
          add(l.transport, a.address, l.advertisedPort);
      } catch {
        // an advertised name that does not resolve here is still ours by name
      }
    }
    if (!isWildcard(l.address)) {
      add(l.transport, l.address, l.port);
      continue;
    }
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) {
        if ((a.family === 'IPv4' ? 4 : 6) !== l.family) continue;
        if (a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80:')) continue;
        add(l.transport, a.address, l.port);
      }
    }
  }
  return out;
}
