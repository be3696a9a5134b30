/**
 * Connection table: flow (transport, remote address, remote port) → the open
 * connection, and connection id → connection. RFC 5923-style aliases add
 * more flow keys for one connection.
 */
import { flowKey } from './address.js';
import type { Connection } from './connection.js';
import type { TransportProtocol } from './types.js';

export class ConnectionTable {
  private readonly byId = new Map<string, Connection>();
  private readonly byFlow = new Map<string, Connection>();

  get size(): number {
    return this.byId.size;
  }

  add(conn: Connection): void {
    this.byId.set(conn.id, conn);
    this.byFlow.set(flowKey(conn.transport, conn.remoteAddress, conn.remotePort), conn);
  }

  /**
   * RFC 5923 §5: register the connection for the peer's advertised listening
   * port too, so requests to that peer reuse it. The address is the one the
   * connection comes from, never the Via's host: a peer can only alias itself.
   */
  alias(conn: Connection, port: number): void {
    const key = flowKey(conn.transport, conn.remoteAddress, port);
    if (this.byFlow.get(key) === conn) return;
    this.byFlow.set(key, conn);
    conn.aliases.push(key);
  }

  get(id: string): Connection | undefined {
    return this.byId.get(id);
  }

  find(transport: TransportProtocol, address: string, port: number): Connection | undefined {
    const c = this.byFlow.get(flowKey(transport, address, port));
    return c !== undefined && c.isOpen ? c : undefined;
  }

  remove(conn: Connection): void {
    this.byId.delete(conn.id);
    const own = flowKey(conn.transport, conn.remoteAddress, conn.remotePort);
    if (this.byFlow.get(own) === conn) this.byFlow.delete(own);
    for (const key of conn.aliases) if (this.byFlow.get(key) === conn) this.byFlow.delete(key);
  }

  all(): IterableIterator<Connection> {
    return this.byId.values();
  }
}
