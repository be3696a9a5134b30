/**
 * The registrar's digest auth as wired in CoreNode: the 401 leaves with its challenges, the
 * edge's assertion registers without one, and X-Strata-Auth never leaves the core on a
 * relayed request (it is for the edge → core hop only).
 */
import { ASSERTION_HEADER, EdgeAssertion } from '@strata/auth';
import { parseMessage, serializeMessage, type SipRequest, type SipResponse } from '@strata/parser';
import type { MessageSource } from '@strata/transport';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { coreConfigSchema } from '../src/config.js';
import { CoreNode } from '../src/core-node.js';
import { createStores } from '../src/dialogs/stores.js';
import { FakeTransport } from './support/fake-transport.js';

const ASSERTION_SECRET = 'edge-to-core-secret-unit-01';

const edge: MessageSource = {
  transport: 'udp',
  address: '127.0.0.1',
  port: 5060,
  localAddress: '127.0.0.1',
  localPort: 5070,
  connectionId: null,
};

function request(method: string, uri: string, callId: string, extra: string[] = []): SipRequest {
  const text = [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK${callId}`,
    'Max-Forwards: 70',
    'To: <sip:alice@127.0.0.1>',
    'From: <sip:alice@127.0.0.1>;tag=f1',
    `Call-ID: ${callId}`,
    `CSeq: 1 ${method}`,
    'Contact: <sip:alice@192.0.2.4:5062>',
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return parseMessage(Buffer.from(text)) as SipRequest;
}

let node: CoreNode | null = null;
afterEach(async () => {
  await node?.stop();
  node = null;
});

function start(): FakeTransport {
  const config = coreConfigSchema.parse({
    registrar: {
      natKeepaliveSeconds: 0,
      auth: {
        enabled: true,
        realm: 'strata',
        secret: 'core-nonce-secret-unit-01',
        edgeAssertion: { secret: ASSERTION_SECRET },
      },
    },
    cdr: { file: '' },
    mediaGroups: { media: { targets: [{ uri: 'sip:127.0.0.1:5080' }], probe: { enabled: false } } },
  });
  const logger = pino({ level: 'silent' });
  const transport = new FakeTransport();
  node = new CoreNode(
    config,
    transport,
    logger,
    [{ transport: 'udp', host: '127.0.0.1', port: 5070 }],
    createStores(config, logger),
  );
  node.start();
  return transport;
}

const responseTo = (t: FakeTransport, callId: string) =>
  t.nextSent((m) => !m.isRequest && m.callId === callId) as Promise<SipResponse>;

describe('CoreNode: registrar auth wiring', () => {
  it('answers 401 with the challenges; binds on the edge’s assertion', async () => {
    const t = start();
    const challenged = responseTo(t, 'r1');
    t.deliver(serializeMessage(request('REGISTER', 'sip:127.0.0.1', 'r1')).toString(), edge);
    const res = await challenged;
    expect(res.status).toBe(401);
    expect(res.headers.getAll('www-authenticate')[0]).toMatch(/^Digest realm="strata", nonce="/);
    expect((await node!.stats()).registrations).toMatchObject({ contacts: 0 });

    const vouched = request('REGISTER', 'sip:127.0.0.1', 'r2');
    new EdgeAssertion({ secret: ASSERTION_SECRET }).stamp(vouched, 'alice');
    const accepted = responseTo(t, 'r2');
    t.deliver(serializeMessage(vouched).toString(), edge);
    expect((await accepted).status).toBe(200);
    expect((await node!.stats()).registrations).toMatchObject({ aors: 1, contacts: 1 });
  });

  it('removes X-Strata-Auth from a request it relays', async () => {
    const t = start();
    const m = request('MESSAGE', 'sip:bob@127.0.0.1', 'm1');
    new EdgeAssertion({ secret: ASSERTION_SECRET }).stamp(m, 'alice');
    const relayed = t.nextSent((x) => x.isRequest && x.method === 'MESSAGE');
    t.deliver(serializeMessage(m).toString(), edge);
    const out = (await relayed) as SipRequest;
    expect(out.requestUri).toMatchObject({ host: '127.0.0.1' });
    expect(out.headers.has(ASSERTION_HEADER)).toBe(false);
    expect(out.headers.get('call-id')).toBe('m1');
  });
});
