import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createResponse, parseMessage, type SipRequest } from '@strata/parser';
import { SipTransport } from '../src/sip-transport.js';
import { TransportError } from '../src/errors.js';
import {
  event,
  eventually,
  messages,
  nextMessage,
  request,
  startTransport,
  StreamClient,
} from './helpers.js';

const open: (SipTransport | StreamClient | net.Server)[] = [];

afterEach(async () => {
  for (const x of open.splice(0)) {
    if (x instanceof SipTransport) await x.stop();
    else if (x instanceof StreamClient) x.socket.destroy();
    else x.close();
  }
});

async function tcpTransport(extra: Partial<ConstructorParameters<typeof SipTransport>[0]> = {}) {
  const t = await startTransport({
    listeners: [
      { transport: 'tcp', address: '127.0.0.1', port: 0 },
      { transport: 'tcp', address: '::1', port: 0 },
    ],
    ...extra,
  });
  open.push(t);
  return t;
}

async function client(t: SipTransport, family: 4 | 6 = 4): Promise<StreamClient> {
  const l = t.listener('tcp', family)!;
  const c = await StreamClient.connect(l.port, l.address);
  open.push(c);
  return c;
}

function echo200(t: SipTransport): void {
  t.onMessage((m, source) => {
    if (m.isRequest) t.sendResponse(createResponse(m, 200), source).catch(() => undefined);
  });
}

describe('TCP', () => {
  it('frames two messages arriving in one write', async () => {
    const t = await tcpTransport();
    const c = await client(t);
    const got = messages(t, 2);
    await c.write(request({ callId: 'one', body: 'v=0\r\n' }) + request({ callId: 'two' }));
    const [first, second] = await got;
    const [a, sa] = first!;
    const [b] = second!;
    expect([a.callId, b.callId]).toEqual(['one', 'two']);
    expect(a.body.toString()).toBe('v=0\r\n');
    expect(sa.transport).toBe('tcp');
    expect(sa.connectionId).toMatch(/^tcp-/);
  });

  it('frames one message split at every byte boundary across writes', async () => {
    const t = await tcpTransport();
    const c = await client(t);
    const text = request({ callId: 'split', body: 'hello' });
    const got = messages(t, text.length - 1, 10_000);
    for (let k = 1; k < text.length; k++) {
      await c.write(text.slice(0, k));
      await c.write(text.slice(k));
    }
    const all = await got;
    expect(all.every(([m]) => m.callId === 'split' && m.body.toString() === 'hello')).toBe(true);
  });

  it('handles 10k pipelined requests and answers each over the same connection', async () => {
    const t = await tcpTransport();
    echo200(t);
    const c = await client(t);
    const n = 10_000;
    let batch = '';
    for (let i = 0; i < n; i++)
      batch += request({ callId: `p${i}`, cseq: i + 1, via: 'SIP/2.0/TCP 127.0.0.1:5060' });
    await c.write(batch);
    await c.waitFor(() => c.count('SIP/2.0 200 OK') >= n, 15_000);
    expect(c.count('SIP/2.0 200 OK')).toBe(n);
    expect(t.stats().messagesIn.tcp).toBe(n);
    expect(t.stats().messagesOut.tcp).toBe(n);
    expect(t.stats().connectionsOutbound).toBe(0);
  });

  it('answers 400 to a request without Content-Length, then closes (RFC 3261 §18.3)', async () => {
    const t = await tcpTransport();
    const c = await client(t);
    await c.write(request({ contentLength: false }));
    await c.closedWithin();
    expect(c.text).toMatch(/^SIP\/2\.0 400 /);
    expect(c.text).toMatch(
      /Via: SIP\/2\.0\/UDP 127\.0\.0\.1:5060;branch=[^;\r]+;received=127\.0\.0\.1/,
    );
    expect(t.stats().parseErrors).toBe(1);
  });

  it('answers a CRLF ping with a CRLF pong (RFC 5626 §3.5.1)', async () => {
    const t = await tcpTransport();
    const c = await client(t);
    await c.write('\r\n\r\n');
    await c.waitFor((s) => s === '\r\n');
    expect(t.stats().keepAlivePings).toBe(1);
  });

  it('closes an idle connection after the idle timeout', async () => {
    const t = await tcpTransport({ idleTimeoutMs: 150 });
    const c = await client(t);
    await c.closedWithin(3000);
    expect(t.stats().idleTimeouts).toBe(1);
    await eventually(() => t.stats().connectionsOpen === 0);
  });

  it('refuses connections beyond maxConnections', async () => {
    const t = await tcpTransport({ maxConnections: 1 });
    const first = await client(t);
    await first.write('\r\n\r\n'); // make sure the first one is accepted and registered
    await first.waitFor((s) => s === '\r\n');
    const second = await client(t);
    await second.closedWithin();
    expect(t.stats().connectionsRejected).toBe(1);
    expect(first.closed).toBe(false);
  });

  it('reuses the connection for the response and for a new request to the same peer (alias, RFC 5923)', async () => {
    const t = await tcpTransport();
    const c = await client(t);
    // the peer says it listens on 5099 and asks for reuse with ;alias
    const got = nextMessage(t);
    await c.write(request({ via: 'SIP/2.0/TCP 127.0.0.1:5099;alias', callId: 'reuse' }));
    const [req, source] = await got;
    await t.sendResponse(createResponse(req as SipRequest, 200), source);
    await c.waitFor((s) => s.includes('SIP/2.0 200 OK'));
    // a new request to the peer's advertised address goes down the same connection
    const out = parseMessage(Buffer.from(request({ method: 'BYE', callId: 'reuse' })));
    await t.send(out, { transport: 'tcp', address: '127.0.0.1', port: 5099 });
    await c.waitFor((s) => s.includes('BYE sip:bob@example.com'));
    // and to its ephemeral port as well (the connection's own flow)
    await t.send(out, { transport: 'tcp', address: '127.0.0.1', port: source.port });
    await c.waitFor((s) => s.split('BYE sip:').length === 3);
    expect(t.stats().connectionsOutbound).toBe(0);
    expect(t.connections()).toHaveLength(1);
  });

  it('connects on demand to another transport and gets the response back on that connection', async () => {
    const a = await tcpTransport();
    const b = await tcpTransport();
    echo200(b);
    const bl = b.listener('tcp', 6)!;
    const via = a.viaFor({ transport: 'tcp', address: '::1', port: bl.port });
    expect(via.host).toBe('[::1]');
    const req = parseMessage(Buffer.from(request({ via: `SIP/2.0/TCP ${via.host}:${via.port}` })));
    const got = nextMessage(a);
    await a.send(req, { transport: 'tcp', address: '::1', port: bl.port });
    const [res, source] = await got;
    expect(res.isRequest).toBe(false);
    expect(source.connectionId).toBe(a.connections()[0]!.id);
    expect(a.stats().connectionsOutbound).toBe(1);
    // a second send reuses it
    await a.send(req, { transport: 'tcp', address: '::1', port: bl.port });
    expect(a.stats().connectionsOutbound).toBe(1);
  });

  it('rejects with CONNECTION_REFUSED when nobody listens', async () => {
    const t = await tcpTransport();
    const s = net.createServer();
    s.listen(0, '127.0.0.1');
    await event(s, 'listening');
    const port = (s.address() as net.AddressInfo).port;
    s.close();
    await event(s, 'close');
    const err = await t
      .send(Buffer.from(request()), { transport: 'tcp', address: '127.0.0.1', port })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('CONNECTION_REFUSED');
  });

  it('rejects with CONNECTION_CLOSED when the named connection closed and no flow is left', async () => {
    const t = await tcpTransport();
    const c = await client(t);
    const got = nextMessage(t);
    await c.write(request());
    const [req, source] = await got;
    c.socket.destroy();
    await event(c.socket, 'close');
    // the server side sees the close on its own tick
    await eventually(() => t.connections().length === 0);
    // the §18.2.2 fallback (sent-by 127.0.0.1:5060 over TCP) is refused: nobody listens there
    const err = await t
      .sendResponse(createResponse(req as SipRequest, 200), {
        ...source,
        transport: 'tcp',
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
  });

  it('pauses reading while the peer does not read (backpressure) and recovers', async () => {
    const t = await tcpTransport();
    const c = await client(t);
    const got = nextMessage(t);
    await c.write(request());
    const [, source] = await got;
    c.socket.pause();
    const body = 'x'.repeat(60_000);
    const big = Buffer.from(request({ body }));
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 300 && t.stats().backpressurePauses === 0; i++) {
      sends.push(t.send(big, { transport: 'tcp', address: source.address, port: source.port }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(t.stats().backpressurePauses).toBe(1);
    c.socket.resume();
    await Promise.all(sends);
    await c.waitFor(() => c.text.length >= big.length * sends.length, 10_000);
  });
});
