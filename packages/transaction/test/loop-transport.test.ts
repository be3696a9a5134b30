import { TransportError } from '@strata/transport';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LoopNetwork, ManualTimers } from './support/loop-transport.js';
import { Peer, requestText } from './support/sip.js';
import { TransactionLayer } from '../src/layer.js';
import { parseMessage, type SipRequest } from '@strata/parser';

describe('LoopTransport', () => {
  it('delays, loses and duplicates UDP datagrams reproducibly; TCP is reliable', () => {
    const timers = new ManualTimers();
    const net = new LoopNetwork({ timers, seed: 42 });
    const a = new Peer(net, '10.0.0.1');
    const b = new Peer(net, '10.0.0.2');
    net.conditions = { delay: 20, loss: 0.3, duplication: 0.3 };
    for (let i = 0; i < 200; i++)
      void a.send(requestText({ method: 'OPTIONS' }), { address: '10.0.0.2' });
    timers.advance(19);
    expect(b.received).toHaveLength(0);
    timers.advance(1);
    const got = b.received.length;
    expect(got).toBeGreaterThan(100);
    expect(got).toBeLessThan(220);
    expect(net.trace.filter((e) => e.dropped).length).toBeGreaterThan(20);
    b.clear();
    for (let i = 0; i < 50; i++)
      void a.send(requestText({ method: 'OPTIONS' }), { address: '10.0.0.2', transport: 'tcp' });
    timers.advance(20);
    expect(b.received).toHaveLength(50);
    expect(b.received[0]!.source.connectionId).toMatch(/^loop:/);
  });

  it('injects failures and refuses TCP to nobody', async () => {
    const net = new LoopNetwork({ timers: new ManualTimers() });
    const a = net.createTransport('10.0.0.1');
    await expect(
      a.send(Buffer.from('x'), { transport: 'tcp', address: '1.2.3.4', port: 5060 }),
    ).rejects.toBeInstanceOf(TransportError);
    a.failWith = () => new TransportError('HOST_UNREACHABLE', 'down');
    await expect(
      a.send(Buffer.from(requestText({ method: 'OPTIONS' })), {
        transport: 'udp',
        address: '10.0.0.2',
        port: 5060,
      }),
    ).rejects.toMatchObject({ code: 'HOST_UNREACHABLE', status: 503 });
  });
});

describe('with vitest fake timers and the default (system) timers', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('Timer E/F run on the faked globals', () => {
    vi.useFakeTimers();
    const net = new LoopNetwork();
    const layer = new TransactionLayer({ transport: net.createTransport('10.0.0.10') });
    const peer = new Peer(net, '10.0.0.2');
    const text = requestText({ method: 'OPTIONS' }).replace(/^Via: .*\r\n/m, '');
    const tx = layer.sendRequest(parseMessage(Buffer.from(text)) as SipRequest, {
      transport: 'udp',
      address: '10.0.0.2',
      port: 5060,
    });
    vi.advanceTimersByTime(1);
    expect(peer.requests('OPTIONS')).toHaveLength(1);
    // Node (and its fakes) clamp a 0 ms delivery timer to 1 ms
    vi.advanceTimersByTime(501);
    expect(peer.requests('OPTIONS')).toHaveLength(2);
    vi.advanceTimersByTime(32_000);
    expect(tx.state).toBe('terminated');
  });
});
