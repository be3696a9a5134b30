import { parseMessage, type SipRequest, type SipResponse } from '@strata/parser';
import { TransportError } from '@strata/transport';
import { describe, expect, it } from 'vitest';
import { NoopClientUser } from '../src/user.js';
import { createHarness, tcp, udp } from './support/harness.js';
import { Peer, requestText } from './support/sip.js';

class RecordingUser extends NoopClientUser {
  responses: number[] = [];
  timeouts = 0;
  transportErrors: TransportError[] = [];
  terminated = 0;
  override onResponse(r: SipResponse): void {
    this.responses.push(r.status);
  }
  override onTimeout(): void {
    this.timeouts++;
  }
  override onTransportError(e: TransportError): void {
    this.transportErrors.push(e);
  }
  override onTerminated(): void {
    this.terminated++;
  }
}

function outgoing(method: string, transport: 'udp' | 'tcp' = 'udp'): SipRequest {
  // a request the core originates: no Via yet (the layer pushes its own)
  const text = requestText({ method, transport }).replace(/^Via: .*\r\n/m, '');
  return parseMessage(Buffer.from(text)) as SipRequest;
}

function setup() {
  const h = createHarness();
  const peer = new Peer(h.network, '10.0.0.2');
  const user = new RecordingUser();
  return { h, peer, user };
}

describe('INVITE client transaction (§17.1.1, RFC 6026)', () => {
  it('Timer A retransmits on UDP with doubling intervals until Timer B times out', () => {
    const { h, peer, user } = setup();
    const tx = h.layer.sendRequest(outgoing('INVITE'), udp('10.0.0.2'), user);
    h.timers.advance(0);
    expect(peer.requests('INVITE')).toHaveLength(1);
    h.timers.advance(500); // A = T1
    expect(peer.requests('INVITE')).toHaveLength(2);
    h.timers.advance(1000); // A = 2·T1
    expect(peer.requests('INVITE')).toHaveLength(3);
    h.timers.advance(2000);
    expect(peer.requests('INVITE')).toHaveLength(4);
    h.timers.advance(32_000 - 3500 - 1);
    expect(user.timeouts).toBe(0);
    h.timers.advance(1); // B = 64·T1
    expect(user.timeouts).toBe(1);
    expect(tx.state).toBe('terminated');
    // sends at 0, .5, 1.5, 3.5, 7.5, 15.5, 31.5 s
    expect(peer.requests('INVITE')).toHaveLength(7);
    expect(user.terminated).toBe(1);
    expect(h.layer.size.clients).toBe(0);
    expect(h.timers.pending).toBe(0);
  });

  it('no Timer A on TCP; Timer B still fires', () => {
    const { h, peer, user } = setup();
    h.layer.sendRequest(outgoing('INVITE', 'tcp'), tcp('10.0.0.2'), user);
    h.timers.advance(31_999);
    expect(peer.requests('INVITE')).toHaveLength(1);
    expect(user.timeouts).toBe(0);
    h.timers.advance(1);
    expect(user.timeouts).toBe(1);
  });

  it('1xx stops A; 300-699 sends ACK; Timer D keeps it Completed for 32 s on UDP', () => {
    const { h, peer, user } = setup();
    peer.answer = () => [180, 486];
    const tx = h.layer.sendRequest(outgoing('INVITE'), udp('10.0.0.2'), user);
    h.timers.advance(0);
    expect(user.responses).toEqual([180, 486]);
    expect(tx.state).toBe('completed');
    const acks = peer.requests('ACK');
    expect(acks).toHaveLength(1);
    const ack = acks[0]!;
    const invite = peer.lastRequest('INVITE');
    // §17.1.1.3: same top Via (branch), To of the response, CSeq number, ACK
    expect(ack.topVia?.params.get('branch')).toBe(invite.topVia?.params.get('branch'));
    expect(ack.toTag).toBe(peer.toTag);
    expect(ack.cseq).toEqual({ seq: invite.cseq.seq, method: 'ACK' });
    expect(ack.uri).toBe(invite.uri);
    // the 486 retransmitted: ACK again, not passed up
    peer.reply(invite, 486);
    h.timers.advance(0);
    expect(peer.requests('ACK')).toHaveLength(2);
    expect(user.responses).toEqual([180, 486]);
    h.timers.advance(10_000);
    expect(peer.requests('INVITE')).toHaveLength(1); // A stopped by the 180
    h.timers.advance(31_999 - 10_000);
    expect(tx.state).toBe('completed');
    h.timers.advance(1);
    expect(tx.state).toBe('terminated');
  });

  it('Timer D is zero on TCP', () => {
    const { h, peer, user } = setup();
    peer.answer = () => [486];
    const tx = h.layer.sendRequest(outgoing('INVITE', 'tcp'), tcp('10.0.0.2'), user);
    h.timers.advance(0);
    expect(peer.requests('ACK')).toHaveLength(1);
    expect(tx.state).toBe('terminated');
  });

  it('2xx → Accepted: retransmitted 2xx passed up, no ACK generated, Timer M ends it', () => {
    const { h, peer, user } = setup();
    peer.answer = () => [200];
    const tx = h.layer.sendRequest(outgoing('INVITE'), udp('10.0.0.2'), user);
    h.timers.advance(0);
    expect(tx.state).toBe('accepted');
    peer.reply(peer.lastRequest('INVITE'), 200);
    h.timers.advance(0);
    expect(user.responses).toEqual([200, 200]);
    expect(peer.requests('ACK')).toHaveLength(0);
    expect(peer.requests('INVITE')).toHaveLength(1); // A stopped
    h.timers.advance(31_999);
    expect(tx.state).toBe('accepted');
    h.timers.advance(1);
    expect(tx.state).toBe('terminated');
  });

  it('Timer M applies on TCP too (RFC 6026: 64·T1 for all transports)', () => {
    const { h, peer, user } = setup();
    peer.answer = () => [200];
    const tx = h.layer.sendRequest(outgoing('INVITE', 'tcp'), tcp('10.0.0.2'), user);
    h.timers.advance(0);
    expect(tx.state).toBe('accepted');
    h.timers.advance(32_000);
    expect(tx.state).toBe('terminated');
  });

  it('transport error → TU informed (503), terminated', async () => {
    const { h, user } = setup();
    h.transport.failWith = () => new TransportError('CONNECTION_REFUSED', 'refused');
    const tx = h.layer.sendRequest(outgoing('INVITE'), udp('10.0.0.2'), user);
    await Promise.resolve();
    await Promise.resolve();
    expect(user.transportErrors).toHaveLength(1);
    expect(user.transportErrors[0]!.status).toBe(503);
    expect(tx.state).toBe('terminated');
    expect(h.timers.pending).toBe(0);
  });

  it('sendCancel needs a provisional response (§9.1) and reuses the INVITE branch', () => {
    const { h, peer, user } = setup();
    const tx = h.layer.sendRequest(outgoing('INVITE'), udp('10.0.0.2'), user);
    expect(() => h.layer.sendCancel(tx as never)).toThrow(/provisional/);
    h.timers.advance(0);
    peer.reply(peer.lastRequest('INVITE'), 180);
    h.timers.advance(0);
    const cancel = h.layer.sendCancel(tx as never, undefined, 'SIP;cause=487');
    h.timers.advance(0);
    const sent = peer.lastRequest('CANCEL');
    expect(sent.topVia?.params.get('branch')).toBe(tx.branch);
    expect(sent.headers.get('reason')).toBe('SIP;cause=487');
    expect(sent.vias).toHaveLength(1);
    expect(cancel.kind).toBe('non-invite-client');
  });
});

describe('non-INVITE client transaction (§17.1.2)', () => {
  it('Timer E doubles up to T2, Timer F times out at 64·T1 on UDP', () => {
    const { h, peer, user } = setup();
    h.layer.sendRequest(outgoing('OPTIONS'), udp('10.0.0.2'), user);
    h.timers.advance(0);
    const times: number[] = [];
    const start = h.timers.now();
    let last = 1;
    for (let t = 0; t < 32_000; t += 100) {
      h.timers.advance(100);
      const n = peer.requests('OPTIONS').length;
      if (n !== last) times.push(h.timers.now() - start);
      last = n;
    }
    // E: .5, 1 (2·T1), 2 (4·T1), 4 (T2), 4, 4 …
    expect(times.slice(0, 6)).toEqual([500, 1500, 3500, 7500, 11500, 15500]);
    expect(user.timeouts).toBe(1);
  });

  it('in Proceeding, Timer E uses T2', () => {
    const { h, peer, user } = setup();
    h.layer.sendRequest(outgoing('OPTIONS'), udp('10.0.0.2'), user);
    h.timers.advance(0);
    peer.reply(peer.lastRequest('OPTIONS'), 100);
    h.timers.advance(499);
    expect(peer.requests('OPTIONS')).toHaveLength(1);
    h.timers.advance(1); // E was armed at T1 before the 100
    expect(peer.requests('OPTIONS')).toHaveLength(2);
    h.timers.advance(3999);
    expect(peer.requests('OPTIONS')).toHaveLength(2);
    h.timers.advance(1); // reset to T2
    expect(peer.requests('OPTIONS')).toHaveLength(3);
  });

  it('no Timer E on TCP; Timer F still fires', () => {
    const { h, peer, user } = setup();
    h.layer.sendRequest(outgoing('OPTIONS', 'tcp'), tcp('10.0.0.2'), user);
    h.timers.advance(31_999);
    expect(peer.requests('OPTIONS')).toHaveLength(1);
    h.timers.advance(1);
    expect(user.timeouts).toBe(1);
  });

  it('final → Completed; Timer K = T4 on UDP absorbs retransmitted finals', () => {
    const { h, peer, user } = setup();
    peer.answer = () => [200];
    const tx = h.layer.sendRequest(outgoing('OPTIONS'), udp('10.0.0.2'), user);
    h.timers.advance(0);
    expect(tx.state).toBe('completed');
    peer.reply(peer.lastRequest('OPTIONS'), 200);
    h.timers.advance(0);
    expect(user.responses).toEqual([200]);
    h.timers.advance(4999);
    expect(tx.state).toBe('completed');
    h.timers.advance(1);
    expect(tx.state).toBe('terminated');
    expect(h.timers.pending).toBe(0);
  });

  it('Timer K is zero on TCP', () => {
    const { h, peer, user } = setup();
    peer.answer = () => [200];
    const tx = h.layer.sendRequest(outgoing('OPTIONS', 'tcp'), tcp('10.0.0.2'), user);
    h.timers.advance(0);
    expect(tx.state).toBe('terminated');
    expect(user.responses).toEqual([200]);
  });

  it('transport error (no listener over TCP) → TU informed', async () => {
    const { h, user } = setup();
    h.layer.sendRequest(outgoing('BYE', 'tcp'), tcp('10.9.9.9'), user);
    await Promise.resolve();
    await Promise.resolve();
    expect(user.transportErrors.map((e) => e.code)).toEqual(['CONNECTION_REFUSED']);
    expect(h.layer.size.clients).toBe(0);
  });
});
