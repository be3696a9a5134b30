/**
 * A surviving core takes an in-dialog request whose Route names a peer core by address
 * (Asterisk rewrite_contact=yes / NAT rewrote `core-b` to its IP): the Route is popped as
 * ours and the request goes on to the Request-URI — not back to the dead core's address.
 */
import type { SipRequest } from '@strata/parser';
import type { MessageSource } from '@strata/transport';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { coreConfigSchema } from '../src/config.js';
import { CoreNode } from '../src/core-node.js';
import { createStores } from '../src/dialogs/stores.js';
import { FakeTransport } from './support/fake-transport.js';

const source: MessageSource = {
  transport: 'udp',
  address: '127.0.0.1',
  port: 5060,
  localAddress: '127.0.0.1',
  localPort: 5070,
  connectionId: null,
};

function bye(route: string): string {
  return [
    'BYE sip:bob@127.0.0.1:5400 SIP/2.0',
    'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKpeer' + route.length,
    'Max-Forwards: 70',
    `Route: <sip:${route};lr>`,
    'From: <sip:alice@example.com>;tag=a1',
    'To: <sip:bob@example.com>;tag=b1',
    'Call-ID: peer-route-1',
    'CSeq: 2 BYE',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

let node: CoreNode | null = null;
afterEach(async () => {
  await node?.stop();
  node = null;
});

async function start(peers: string[]): Promise<FakeTransport> {
  const config = coreConfigSchema.parse({ cluster: { peers } });
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
  await node.peers.refresh();
  return transport;
}

describe('CoreNode: cluster peers by address', () => {
  it('pops a Route naming a peer core by its resolved address and relays to the Request-URI', async () => {
    const transport = await start(['localhost:5199']);
    const sent = transport.nextRequest('BYE');
    transport.deliver(bye('127.0.0.1:5199'), source);
    await sent;
    const out = transport.sent.find((s) => s.message.isRequest && s.message.method === 'BYE');
    expect(out?.destination).toMatchObject({ address: '127.0.0.1', port: 5400 });
    expect((out?.message as SipRequest).headers.values('route')).toEqual([]);
  });

  it('relays towards an address that is no cluster core (the control case)', async () => {
    const transport = await start(['localhost:5199']);
    const sent = transport.nextRequest('BYE');
    transport.deliver(bye('127.0.0.1:5198'), source);
    await sent;
    const out = transport.sent.find((s) => s.message.isRequest && s.message.method === 'BYE');
    expect(out?.destination).toMatchObject({ address: '127.0.0.1', port: 5198 });
  });
});
