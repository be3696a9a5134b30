/**
 * Flow tokens (the RFC 5626 §5.2 idea, kept stateless): the edge writes the
 * client's flow — transport, address, port and, on TCP/TLS/WS, the
 * connection id — into the URIs it inserts (Path, Record-Route) and into its
 * own Via, so requests and responses towards that client come back over the
 * same flow (through the NAT binding, over the same connection) without the
 * edge keeping per-call state. HMAC-signed so it cannot be forged.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { portText, type TransportProtocol } from '@strata/transport';
import { BoundedMemo } from './bounded-memo.js';

export interface Flow {
  transport: TransportProtocol;
  address: string;
  port: number;
  connectionId: string | null;
}

const TRANSPORTS: ReadonlySet<string> = new Set(['udp', 'tcp', 'tls', 'ws', 'wss']);

export class FlowTokens {
  private readonly key: Buffer;
  /**
   * flow → its token. Every forwarded request carries its client's flow (in
   * the Via, Record-Route or Path), and an HMAC per request was a measurable
   * part of the edge's CPU; a token only depends on the flow and the key.
   */
  private readonly encoded = new BoundedMemo<string>();

  constructor(key?: Buffer) {
    // Tokens only need to outlive the flows they name; connections die with the
    // process, but UDP flows outlive a restart, so a deployment may share a key.
    this.key = key ?? randomBytes(32);
  }

  encode(flow: Flow): string {
    const text = `${flow.transport}|${flow.address}|${portText(flow.port)}|${flow.connectionId ?? ''}`;
    let token = this.encoded.get(text);
    if (token === undefined) {
      const data = Buffer.from(text, 'utf8');
      token = `${data.toString('base64url')}.${this.mac(data).toString('base64url')}`;
      this.encoded.set(text, token);
    }
    return token;
  }

  /** The flow, or null when the token is not one of ours. */
  decode(token: string): Flow | null {
    const dot = token.indexOf('.');
    if (dot <= 0) return null;
    const data = Buffer.from(token.slice(0, dot), 'base64url');
    const mac = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = this.mac(data);
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return null;
    const [transport, address, port, connectionId] = data.toString('utf8').split('|');
    if (
      transport === undefined ||
      !TRANSPORTS.has(transport) ||
      address === undefined ||
      port === undefined
    )
      return null;
    return {
      transport: transport as TransportProtocol,
      address,
      port: Number(port),
      connectionId: connectionId === undefined || connectionId === '' ? null : connectionId,
    };
  }

  private mac(data: Buffer): Buffer {
    return createHmac('sha256', this.key).update(data).digest().subarray(0, 12);
  }
}
