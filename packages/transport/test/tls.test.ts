import net from 'node:net';
import tls from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createResponse, parseMessage } from '@strata/parser';
import { SipTransport } from '../src/sip-transport.js';
import { TransportError } from '../src/errors.js';
import { makeCert, type TestCert } from './certs.js';
import { event, nextMessage, request, startTransport, StreamClient } from './helpers.js';

let cert: TestCert;
const open: (SipTransport | StreamClient | net.Server)[] = [];

beforeAll(async () => {
  cert = await makeCert();
}, 30_000);

afterEach(async () => {
  for (const x of open.splice(0)) {
    if (x instanceof SipTransport) await x.stop();
    else if (x instanceof StreamClient) x.socket.destroy();
    else x.close();
  }
});

async function tlsTransport(extra: Partial<ConstructorParameters<typeof SipTransport>[0]> = {}) {
  const material = { certPath: cert.certPath, keyPath: cert.keyPath };
  const t = await startTransport({
    listeners: [
      { transport: 'tls', address: '127.0.0.1', port: 0, tls: material },
      { transport: 'tls', address: '::1', port: 0, tls: material },
    ],
    tlsClient: { ca: cert.cert },
    ...extra,
  });
  open.push(t);
  t.onMessage((m, source) => {
    if (m.isRequest) t.sendResponse(createResponse(m, 200), source).catch(() => undefined);
  });
  return t;
}

describe('TLS', () => {
  for (const family of [4, 6] as const) {
    it(`a TLS client (IPv${family}) sends a request and gets the response`, async () => {
      const t = await tlsTransport();
      const l = t.listener('tls', family)!;
      const socket = tls.connect({ host: l.address, port: l.port, ca: cert.cert });
      await event(socket, 'secureConnect');
      expect(['TLSv1.2', 'TLSv1.3']).toContain(socket.getProtocol());
      const c = new StreamClient(socket);
      open.push(c);
      const host = family === 4 ? '127.0.0.1' : '[::1]';
      await c.write(request({ via: `SIP/2.0/TLS ${host}:5061`, callId: 'tls-1' }));
      await c.waitFor((s) => s.includes('\r\n\r\n'));
      const res = parseMessage(Buffer.from(c.text, 'latin1'), { framing: 'stream' });
      expect(res.isRequest ? 0 : res.status).toBe(200);
      expect(res.callId).toBe('tls-1');
      expect(t.stats().messagesIn.tls).toBe(1);
    });
  }

  it('refuses a client that only speaks TLS 1.1 (minVersion TLSv1.2)', async () => {
    const t = await tlsTransport();
    const l = t.listener('tls', 4)!;
    const socket = tls.connect({
      host: l.address,
      port: l.port,
      ca: cert.cert,
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
    });
    // the server's alert: "tlsv1 alert protocol version" (RFC 8446 §6.2 protocol_version)
    const [err] = await event<[Error]>(socket, 'error');
    expect(err.message).toMatch(/alert protocol version/);
  });

  it('opens an outbound TLS connection on demand (verifying the certificate)', async () => {
    const a = await tlsTransport();
    const b = await tlsTransport();
    const bl = b.listener('tls', 4)!;
    const via = a.viaFor({ transport: 'tls', address: '127.0.0.1', port: bl.port });
    expect(via.transport).toBe('TLS');
    const got = nextMessage(a);
    await a.send(
      parseMessage(Buffer.from(request({ via: `SIP/2.0/TLS ${via.host}:${via.port}` }))),
      { transport: 'tls', address: '127.0.0.1', port: bl.port },
    );
    const [res, source] = await got;
    expect(res.isRequest).toBe(false);
    expect(source.transport).toBe('tls');
    expect(a.stats().connectionsOutbound).toBe(1);
  });

  it('rejects with CONNECT_TIMEOUT when the handshake never completes', async () => {
    const t = await tlsTransport({ connectTimeoutMs: 200 });
    // accepts TCP, never answers the ClientHello
    const silentServer = net.createServer((s) => s.on('error', () => undefined));
    open.push(silentServer);
    silentServer.listen(0, '127.0.0.1');
    await event(silentServer, 'listening');
    const port = (silentServer.address() as net.AddressInfo).port;
    const err = await t
      .send(Buffer.from(request()), { transport: 'tls', address: '127.0.0.1', port })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('CONNECT_TIMEOUT');
  });
});
