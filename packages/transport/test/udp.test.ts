import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createResponse, parseMessage, type SipRequest } from '@strata/parser';
import { SipTransport } from '../src/sip-transport.js';
import { TransportError } from '../src/errors.js';
import { event, eventually, nextMessage, request, startTransport } from './helpers.js';

const open: (SipTransport | dgram.Socket)[] = [];

afterEach(async () => {
  for (const x of open.splice(0)) {
    if (x instanceof SipTransport) await x.stop();
    else x.close();
  }
});

async function udpClient(family: 4 | 6): Promise<dgram.Socket> {
  const s = dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
  open.push(s);
  s.bind(0, family === 4 ? '127.0.0.1' : '::1');
  await event(s, 'listening');
  return s;
}

async function udpTransport(extra: Partial<ConstructorParameters<typeof SipTransport>[0]> = {}) {
  const t = await startTransport({
    listeners: [
      { transport: 'udp', address: '127.0.0.1', port: 0 },
      { transport: 'udp', address: '::1', port: 0 },
    ],
    ...extra,
  });
  open.push(t);
  return t;
}

/** Answer every request with 200 OK through sendResponse (RFC 3261 §18.2.2 routing). */
function echo200(t: SipTransport): void {
  t.onMessage((m, source) => {
    if (m.isRequest) t.sendResponse(createResponse(m, 200), source).catch(() => undefined);
  });
}

describe('UDP', () => {
  for (const family of [4, 6] as const) {
    it(`round trip over IPv${family}`, async () => {
      const t = await udpTransport();
      echo200(t);
      const client = await udpClient(family);
      const host = family === 4 ? '127.0.0.1' : '[::1]';
      const { port } = client.address();
      const listener = t.listener('udp', family)!;
      const got = event<[Buffer]>(client, 'message');
      client.send(request({ via: `SIP/2.0/UDP ${host}:${port}` }), listener.port, listener.address);
      const [bytes] = await got;
      const res = parseMessage(bytes);
      expect(res.isRequest).toBe(false);
      expect(res.isRequest ? 0 : res.status).toBe(200);
      expect(t.stats().messagesIn.udp).toBe(1);
      expect(t.stats().messagesOut.udp).toBe(1);
    });
  }

  it('reports the source, and ignores bytes after Content-Length (RFC 3261 §18.3)', async () => {
    const t = await udpTransport();
    const client = await udpClient(4);
    const l = t.listener('udp', 4)!;
    const got = nextMessage(t);
    client.send(request({ body: 'abc' }) + 'TRAILING GARBAGE', l.port, l.address);
    const [msg, source] = await got;
    expect(msg.body.toString()).toBe('abc');
    expect(source).toMatchObject({
      transport: 'udp',
      address: '127.0.0.1',
      port: client.address().port,
      localPort: l.port,
      connectionId: null,
    });
  });

  it('received/rport: Via 1.2.3.4:5060;rport from 127.0.0.1:<port> is answered to that port (RFC 3581)', async () => {
    const t = await udpTransport();
    echo200(t);
    const client = await udpClient(4);
    const { port } = client.address();
    const l = t.listener('udp', 4)!;
    const got = event<[Buffer, dgram.RemoteInfo]>(client, 'message');
    client.send(request({ via: 'SIP/2.0/UDP 1.2.3.4:5060;rport' }), l.port, l.address);
    const [bytes, rinfo] = await got;
    expect(rinfo.port).toBe(l.port); // answered from the socket the request came in on
    const res = parseMessage(bytes);
    const via = res.topVia!;
    expect(via.params.get('received')).toBe('127.0.0.1');
    expect(via.params.get('rport')).toBe(String(port));
    expect(res.headers.get('via')).toMatch(
      /^SIP\/2\.0\/UDP 1\.2\.3\.4:5060;rport=\d+;branch=.*;received=127\.0\.0\.1$/,
    );
  });

  it('drops and counts an oversize datagram', async () => {
    const t = await udpTransport({ maxMessageSize: 2000 });
    const client = await udpClient(4);
    const l = t.listener('udp', 4)!;
    const big = request({ body: 'x'.repeat(3000) });
    client.send(big, l.port, l.address);
    // a valid one behind it proves the transport is alive and the big one was not delivered
    const got = nextMessage(t);
    client.send(request({ callId: 'after-big' }), l.port, l.address);
    const [msg] = await got;
    expect(msg.callId).toBe('after-big');
    expect(t.stats().droppedOversize).toBe(1);
  });

  it('malformed datagrams: counted and dropped; a readable request gets 400; the process lives', async () => {
    const t = await udpTransport();
    const client = await udpClient(4);
    const l = t.listener('udp', 4)!;
    const { port } = client.address();
    // garbage: nothing to answer
    client.send(Buffer.from([0, 1, 2, 3, 0xff, 0x0d, 0x0a, 0x0d, 0x0a]), l.port, l.address);
    // a response that is broken: never answered
    client.send('SIP/2.0 abc OK\r\nVia: SIP/2.0/UDP 127.0.0.1\r\n\r\n', l.port, l.address);
    // a request with a bad Max-Forwards: headers readable → 400
    const answer = event<[Buffer]>(client, 'message');
    client.send(
      request({
        via: `SIP/2.0/UDP 127.0.0.1:${port}`,
        contentLength: false,
        extra: ['Content-Length: abc'],
      }),
      l.port,
      l.address,
    );
    const res = parseMessage((await answer)[0]);
    expect(res.isRequest ? 0 : res.status).toBe(400);
    // still alive and delivering
    const got = nextMessage(t);
    client.send(request({ callId: 'alive' }), l.port, l.address);
    expect((await got)[0].callId).toBe('alive');
    const s = t.stats();
    expect(s.parseErrors).toBe(3);
    expect(s.errorResponsesSent).toBe(1);
    expect(s.messagesIn.udp).toBe(1);
  });

  it('survives a throwing message handler', async () => {
    const t = await udpTransport();
    t.onMessage(() => {
      throw new Error('boom');
    });
    const client = await udpClient(4);
    const l = t.listener('udp', 4)!;
    const got = nextMessage(t);
    client.send(request({ callId: 'first' }), l.port, l.address);
    await got;
    const again = nextMessage(t);
    client.send(request({ callId: 'second' }), l.port, l.address);
    expect((await again)[0].callId).toBe('second');
  });

  it('never answers a malformed ACK', async () => {
    const t = await udpTransport();
    const client = await udpClient(4);
    const l = t.listener('udp', 4)!;
    client.send(
      request({ method: 'ACK', contentLength: false, extra: ['Content-Length: abc'] }),
      l.port,
      l.address,
    );
    const got = nextMessage(t);
    client.send(request({ callId: 'next' }), l.port, l.address);
    await got;
    expect(t.stats().parseErrors).toBe(1);
    expect(t.stats().errorResponsesSent).toBe(0);
  });

  it('sends a request over 1300 bytes over UDP and counts it (RFC 3261 §18.1.1, no fallback)', async () => {
    const t = await udpTransport();
    const client = await udpClient(4);
    const got = event<[Buffer]>(client, 'message');
    const big = parseMessage(Buffer.from(request({ body: 'x'.repeat(1400) }))) as SipRequest;
    await t.send(big, { transport: 'udp', address: '127.0.0.1', port: client.address().port });
    expect((await got)[0].length).toBeGreaterThan(1300);
    expect(t.stats().udpOversizeSent).toBe(1);
  });

  it('switches a request over 1300 bytes to TCP when configured, rewriting the top Via', async () => {
    const a = await startTransport({
      listeners: [
        { transport: 'udp', address: '127.0.0.1', port: 0 },
        { transport: 'tcp', address: '127.0.0.1', port: 0 },
      ],
      udpToTcpFallback: true,
    });
    open.push(a);
    const b = await startTransport({
      listeners: [
        { transport: 'udp', address: '127.0.0.1', port: 0 },
        { transport: 'tcp', address: '127.0.0.1', port: 0 },
      ],
    });
    open.push(b);
    const bUdp = b.listener('udp')!;
    const bTcp = b.listener('tcp')!;
    expect(bUdp.port).not.toBe(bTcp.port);
    // b's TCP listener on the same port number as the UDP destination: bind both to one port
    const via = a.viaFor({ transport: 'udp', address: '127.0.0.1', port: bTcp.port });
    const big = parseMessage(
      Buffer.from(request({ via: `SIP/2.0/UDP ${via.host}:${via.port}`, body: 'x'.repeat(1400) })),
    ) as SipRequest;
    const got = nextMessage(b);
    await a.send(big, { transport: 'udp', address: '127.0.0.1', port: bTcp.port });
    const [msg, source] = await got;
    expect(source.transport).toBe('tcp');
    expect(msg.topVia!.transport).toBe('TCP');
    expect(msg.topVia!.port).toBe(a.listener('tcp')!.port);
    expect(big.topVia!.transport).toBe('UDP'); // the caller's message is unchanged
    expect(a.stats().udpToTcpSwitched).toBe(1);
  });

  it('rejects with a TransportError when the datagram cannot be sent', async () => {
    const t = await udpTransport();
    const huge = Buffer.alloc(70_000, 0x41);
    const err = await t
      .send(huge, { transport: 'udp', address: '127.0.0.1', port: 9 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('MESSAGE_TOO_LARGE');
    expect((err as TransportError).status).toBe(503);
    expect(t.stats().sendErrors).toBe(1);
  });

  it('sendOrElse forwards without a promise and counts the datagram', async () => {
    const t = await udpTransport();
    const client = await udpClient(4);
    const got = event<[Buffer]>(client, 'message');
    const msg = parseMessage(Buffer.from(request())) as SipRequest;
    msg.headers.prepend('Via', 'SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKfwd1');
    const failures: unknown[] = [];
    t.sendOrElse(
      msg,
      { transport: 'udp', address: '127.0.0.1', port: client.address().port },
      (e) => failures.push(e),
    );
    const [bytes] = await got;
    expect(parseMessage(bytes).topViaRaw).toBe('SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKfwd1');
    await eventually(() => t.stats().messagesOut.udp === 1);
    expect(failures).toEqual([]);
  });

  it('forwards to IPv4 and IPv6 literals in turn (the lookup remembers only the last literal)', async () => {
    const t = await udpTransport();
    const v4 = await udpClient(4);
    const v6 = await udpClient(6);
    const seen = { v4: [] as string[], v6: [] as string[] };
    v4.on('message', (b: Buffer) => seen.v4.push(parseMessage(b).callId));
    v6.on('message', (b: Buffer) => seen.v6.push(parseMessage(b).callId));
    const failures: unknown[] = [];
    const order = [
      ['v4', '127.0.0.1', v4.address().port],
      ['v6', '::1', v6.address().port],
      ['v6', '::1', v6.address().port],
      ['v4', '127.0.0.1', v4.address().port],
    ] as const;
    order.forEach(([, address, port], i) =>
      t.sendOrElse(
        Buffer.from(request({ callId: `c${i}` })),
        { transport: 'udp', address, port },
        (e) => failures.push(e),
      ),
    );
    await eventually(() => seen.v4.length + seen.v6.length === order.length);
    expect(seen.v4.sort()).toEqual(['c0', 'c3']);
    expect(seen.v6.sort()).toEqual(['c1', 'c2']);
    expect(failures).toEqual([]);
    expect(t.stats().messagesOut.udp).toBe(4);
  });

  for (const [path, threshold] of [
    ['hot (UDP socket)', 100_000],
    ['slow (MTU rules)', undefined],
  ] as const) {
    it(`sendOrElse hands the ${path} path's TransportError to its callback, counted once`, async () => {
      const t = await udpTransport(threshold === undefined ? {} : { udpMtuThreshold: threshold });
      const failed = new Promise<unknown>((resolve) =>
        t.sendOrElse(
          Buffer.alloc(70_000, 0x41),
          { transport: 'udp', address: '127.0.0.1', port: 9 },
          resolve,
        ),
      );
      const err = await failed;
      expect(err).toBeInstanceOf(TransportError);
      expect((err as TransportError).code).toBe('MESSAGE_TOO_LARGE');
      expect(t.stats().sendErrors).toBe(1);
      expect(t.stats().messagesOut.udp).toBe(0);
    });
  }

  it('viaFor names the UDP listener of the destination family', async () => {
    const t = await udpTransport();
    expect(t.viaFor({ transport: 'udp', address: '127.0.0.1', port: 5060 })).toEqual({
      transport: 'UDP',
      host: '127.0.0.1',
      port: t.listener('udp', 4)!.port,
    });
    expect(t.viaFor({ transport: 'udp', address: '::1', port: 5060 })).toEqual({
      transport: 'UDP',
      host: '[::1]',
      port: t.listener('udp', 6)!.port,
    });
    expect(() => t.viaFor({ transport: 'tls', address: '::1', port: 5061 })).toThrow(
      TransportError,
    );
  });
});
