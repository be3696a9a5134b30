/**
 * Cores configured by hostname (compose: sip:core-1:5070) are resolved off the
 * hot path: forwarding sends to the IP (no dns.lookup per message — one lost DNS
 * answer used to hold every send of the process for seconds), and a request whose
 * source is that IP is recognised as coming from the core.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseMessage, type SipMessage, type SipResponse } from '@strata/parser';
import type {
  Destination,
  Endpoint,
  MessageHandler,
  MessageSource,
  ViaAddress,
} from '@strata/transport';
import { edgeConfigSchema } from '../src/config.js';
import { CoreAddressResolver } from '../src/core-resolver.js';
import { EdgeNode, parseCore } from '../src/edge-node.js';
import type { EdgeTransport } from '../src/forwarder.js';

class RecordingTransport implements EdgeTransport {
  readonly sent: { message: SipMessage; destination: Destination }[] = [];
  send(message: SipMessage | Uint8Array, destination: Destination): Promise<void> {
    if (!(message instanceof Uint8Array)) this.sent.push({ message, destination });
    return Promise.resolve();
  }
  sendResponse(_response: SipResponse): Promise<void> {
    return Promise.resolve();
  }
  onMessage(_handler: MessageHandler): () => void {
    return () => {};
  }
  viaFor(destination: Endpoint): ViaAddress {
    return { transport: destination.transport.toUpperCase(), host: 'edge', port: 5060 };
  }
  isReliable(): boolean {
    return false;
  }
}

const source = (address: string, port: number): MessageSource => ({
  transport: 'udp',
  address,
  port,
  localAddress: '10.89.77.10',
  localPort: 5060,
  connectionId: null,
});
const parse = (text: string): SipMessage => parseMessage(Buffer.from(text, 'latin1'));
const invite = (callId: string): SipMessage =>
  parse(
    `INVITE sip:wait@edge:5060 SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 10.89.77.50:5060;branch=z9hG4bK-${callId};rport\r\n` +
      `From: <sip:a@10.89.77.50>;tag=1\r\nTo: <sip:wait@edge>\r\nCall-ID: ${callId}\r\n` +
      `CSeq: 1 INVITE\r\nContact: <sip:a@10.89.77.50:5060>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
  );

const IPS: Record<string, string> = { 'core-1': '10.89.77.21', 'core-2': '10.89.77.22' };

function edgeWithNamedCores(): { edge: EdgeNode; transport: RecordingTransport } {
  const config = edgeConfigSchema.parse({
    domains: ['edge'],
    cores: [
      { id: 'core-1', uri: 'sip:core-1:5070' },
      { id: 'core-2', uri: 'sip:core-2:5070' },
    ],
    protection: { rateLimit: { enabled: false } },
  });
  const transport = new RecordingTransport();
  const edge = new EdgeNode(config, transport, pino({ level: 'silent' }), [
    { transport: 'udp', host: 'edge', port: 5060 },
  ]);
  return { edge, transport };
}

describe('cores configured by hostname', () => {
  it('parseCore keeps the name; the resolver sets the address and reports changes', async () => {
    const node = parseCore({ id: 'core-1', uri: 'sip:core-1:5070', weight: 1 });
    expect(node).toMatchObject({ host: 'core-1', address: 'core-1', port: 5070 });
    expect(parseCore({ id: 'x', uri: 'sip:10.0.0.1:5070', weight: 1 }).host).toBeUndefined();

    let ip = '10.89.77.21';
    let fail = false;
    const changes: string[] = [];
    const r = new CoreAddressResolver([node], {
      intervalMs: 1000,
      timeoutMs: 50,
      lookup: (host) => {
        expect(host).toBe('core-1');
        if (fail) return new Promise(() => {}); // a lost DNS answer: never settles
        return Promise.resolve(ip);
      },
      onChange: (n, previous) => changes.push(`${previous}→${n.address}`),
    });
    await r.refresh();
    expect(node.address).toBe('10.89.77.21');
    await r.refresh(); // unchanged: no event
    fail = true;
    await r.refresh(); // times out: the last good address stays
    expect(node.address).toBe('10.89.77.21');
    fail = false;
    ip = '10.89.77.99'; // container recreated with a new IP
    await r.refresh();
    expect(node.address).toBe('10.89.77.99');
    expect(changes).toEqual(['core-1→10.89.77.21', '10.89.77.21→10.89.77.99']);
  });

  it('forwards to the resolved IP and knows a core by its source IP', async () => {
    const { edge, transport } = edgeWithNamedCores();
    // what EdgeNode.start() does in the background, here with a fixed table
    const r = new CoreAddressResolver(edge.ring.allNodes(), {
      intervalMs: 1000,
      timeoutMs: 50,
      lookup: (host) => Promise.resolve(IPS[host]!),
      onChange: () => edge.forwarder.refreshCoreAddresses(),
    });
    await r.refresh();

    edge.forwarder.handle(invite('call-1'), source('10.89.77.50', 5060));
    const out = transport.sent.at(-1)!;
    expect(Object.values(IPS)).toContain(out.destination.address);
    expect(out.destination.port).toBe(5070);
    const core = edge.ring.allNodes().find((n) => n.address === out.destination.address)!;

    // the core sends an in-dialog request back towards the caller from its SIP socket:
    // it must go to the caller (Request-URI), not back into the ring
    const bye = parse(
      `BYE sip:a@10.89.77.50:5060 SIP/2.0\r\n` +
        `Via: SIP/2.0/UDP ${core.host}:5070;branch=z9hG4bKsC1;rport\r\n` +
        `Route: <sip:edge:5060;transport=udp;lr>\r\n` +
        `From: <sip:wait@edge>;tag=2\r\nTo: <sip:a@10.89.77.50>;tag=1\r\nCall-ID: call-1\r\n` +
        `CSeq: 1 BYE\r\nMax-Forwards: 69\r\nContent-Length: 0\r\n\r\n`,
    );
    edge.forwarder.handle(bye, source(core.address, 5070));
    await new Promise((resolve) => setImmediate(resolve));
    const back = transport.sent.at(-1)!;
    expect(back.message).toBe(bye);
    expect(back.destination).toMatchObject({ address: '10.89.77.50', port: 5060 });
  });
});
