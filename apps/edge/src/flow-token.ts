/**
 * Flow tokens (RFC 5626 §5.2 idea): the edge names a client's TCP/TLS/WS
 * connection inside the URIs it writes (Path, Record-Route) and in its own Via,
 * so requests and responses towards that client come back over the same
 * connection without the edge keeping any per-call state. The token is the
 * transport's connection id, HMAC-signed so it cannot be forged.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export class FlowTokens {
  private readonly key: Buffer;

  constructor(key?: Buffer) {
    // Connections die with the process, so a per-process key is enough.
    this.key = key ?? randomBytes(32);
  }

  encode(connectionId: string): string {
    const id = Buffer.from(connectionId, 'utf8');
    return `${id.toString('base64url')}.${this.mac(id).toString('base64url')}`;
  }

  /** The connection id, or null when the token is not one of ours. */
  decode(token: string): string | null {
    const dot = token.indexOf('.');
    if (dot <= 0) return null;
    const id = Buffer.from(token.slice(0, dot), 'base64url');
    const mac = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = this.mac(id);
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return null;
    return id.toString('utf8');
  }

  private mac(id: Buffer): Buffer {
    return createHmac('sha256', this.key).update(id).digest().subarray(0, 12);
  }
}
