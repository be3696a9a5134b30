import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createResponse, parseMessage } from '@strata/parser';
import { SipTransport } from '../src/sip-transport.js';
import { makeCert, type TestCert } from './certs.js';
import { event, nextMessage, request, startTransport } from './helpers.js';

let cert: TestCert;
const open: (SipTransport | WebSocket)[] = [];

beforeAll(async () => {
  cert = await makeCert();
}, 30_000);

afterEach(async () => {
  for (const x of open.splice(0)) {
    if (x instanceof SipTransport) await x.stop();
    else x.terminate();
  }
});

async function wsTransport() {
  const material = { certPath: cert.certPath, keyPath: cert.keyPath };
  const t = await startTransport({
    listeners: [
      { transport: 'ws', address: '127.0.0.1', port: 0 },
      { transport: 'ws', address: '::1', port: 0 },
      { transport: 'wss', address: '127.0.0.1', port: 0, tls: material },
    ],
    tlsClient: { ca: cert.cert },
  });
  open.push(t);
  t.onMessage((m, source) => {
    if (m.isRequest) t.sendResponse(createResponse(m, 200), source).catch(() => undefined);
  });
  return t;
}

async function client(url: string, protocol: string | string[] = 'sip'): Promise<WebSocket> {
  const ws = new WebSocket(url, protocol, { ca: cert.cert });
  open.push(ws);
  ws.on('error', () => undefined);
  await event(ws, 'open');
  return ws;
}

describe('WebSocket (RFC 7118)', () => {
  const cases = [
    ['ws', 4, 'ws://127.0.0.1'],
    ['ws', 6, 'ws://[::1]'],
    ['wss', 4, 'wss://127.0.0.1'],
  ] as const;
  for (const [transport, family, base] of cases) {
    it(`${transport.toUpperCase()} over IPv${family}: a request gets its response on the same WebSocket`, async () => {
      const t = await wsTransport();
      const l = t.listener(transport, family)!;
      const ws = await client(`${base}:${l.port}/`);
      expect(ws.protocol).toBe('sip');
      const got = event<[Buffer, boolean]>(ws, 'message');
      // RFC 7118 §5.2: a browser's Via host is a made-up .invalid name
      ws.send(
        request({ via: `SIP/2.0/${transport.toUpperCase()} df7jal23ls0d.invalid`, callId: 'ws-1' }),
      );
      const [data, isBinary] = await got;
      expect(isBinary).toBe(false);
      const res = parseMessage(data);
      expect(res.isRequest ? 0 : res.status).toBe(200);
      expect(res.topVia!.params.get('received')).toBe(family === 4 ? '127.0.0.1' : '::1');
      expect(t.stats().messagesIn[transport]).toBe(1);
      expect(t.stats().messagesOut[transport]).toBe(1);
    });
  }

  it('accepts a message without Content-Length (the WebSocket frame is the framing)', async () => {
    const t = await wsTransport();
    const ws = await client(`ws://127.0.0.1:${t.listener('ws', 4)!.port}/`);
    const got = nextMessage(t);
    ws.send(request({ contentLength: false, callId: 'no-cl' }));
    expect((await got)[0].callId).toBe('no-cl');
  });

  it('closes a WebSocket that did not negotiate the sip subprotocol', async () => {
    const t = await wsTransport();
    const ws = await client(`ws://127.0.0.1:${t.listener('ws', 4)!.port}/`, []);
    const [code] = await event<[number]>(ws, 'close');
    expect(code).toBe(1002);
  });

  it('answers a CRLF keep-alive message with CRLF', async () => {
    const t = await wsTransport();
    const ws = await client(`ws://127.0.0.1:${t.listener('ws', 4)!.port}/`);
    const got = event<[Buffer]>(ws, 'message');
    ws.send('\r\n\r\n');
    expect((await got)[0].toString()).toBe('\r\n');
  });

  it('connects out over WSS on demand', async () => {
    const a = await wsTransport();
    const b = await wsTransport();
    const port = b.listener('wss', 4)!.port;
    const got = nextMessage(a);
    await a.send(Buffer.from(request({ via: 'SIP/2.0/WSS 127.0.0.1' })), {
      transport: 'wss',
      address: '127.0.0.1',
      port,
    });
    const [res, source] = await got;
    expect(res.isRequest).toBe(false);
    expect(source.transport).toBe('wss');
    expect(a.stats().connectionsOutbound).toBe(1);
  });
});
