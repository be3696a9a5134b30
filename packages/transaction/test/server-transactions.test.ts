import { createResponse, type SipRequest } from '@strata/parser';
import type { MessageSource } from '@strata/transport';
import { describe, expect, it } from 'vitest';
import type { ServerTransaction } from '../src/transaction.js';
import { NoopServerUser } from '../src/user.js';
import { createHarness } from './support/harness.js';
import { Peer, requestText } from './support/sip.js';

class RecordingUser extends NoopServerUser {
  timeouts = 0;
  terminated = 0;
  override onTimeout(): void {
    this.timeouts++;
  }
  override onTerminated(): void {
    this.terminated++;
  }
}

function setup() {
  const h = createHarness();
  const caller = new Peer(h.network, '10.0.0.1');
  const user = new RecordingUser();
  const txs: ServerTransaction[] = [];
  const unmatched: SipRequest[] = [];
  h.layer.onRequest((request: SipRequest, source: MessageSource) => {
    if (request.method === 'ACK') {
      unmatched.push(request);
      return;
    }
    txs.push(h.layer.createServerTransaction(request, source, user));
  });
  return { h, caller, user, txs, unmatched };
}

describe('INVITE server transaction (§17.2.1, RFC 6026)', () => {
  it('sends 100 Trying after 200 ms when the TU is silent', () => {
    const { h, caller } = setup();
    void caller.send(requestText({ method: 'INVITE' }));
    h.timers.advance(199);
    expect(caller.responses(100)).toHaveLength(0);
    h.timers.advance(1);
    expect(caller.responses(100)).toHaveLength(1);
  });

  it('retransmitted INVITE in Proceeding re-sends the last provisional', () => {
    const { h, caller, txs } = setup();
    const text = requestText({ method: 'INVITE', branch: 'z9hG4bKret' });
    void caller.send(text);
    h.timers.advance(0);
    const tx = txs[0]!;
    tx.respond(createResponse(tx.request, 180, undefined, { toTag: 'x' }));
    h.timers.advance(0);
    void caller.send(text);
    void caller.send(text);
    h.timers.advance(0);
    expect(txs).toHaveLength(1);
    expect(caller.responses(180)).toHaveLength(3);
  });

  it('Timer G retransmits the final on UDP (T1, 2T1, … T2), Timer H reports a lost ACK', () => {
    const { h, caller, txs, user } = setup();
    void caller.send(requestText({ method: 'INVITE' }));
    h.timers.advance(0);
    const tx = txs[0]!;
    tx.respond(createResponse(tx.request, 486, undefined, { toTag: 'x' }));
    h.timers.advance(0);
    const times: number[] = [];
    const start = h.timers.now();
    let last = 1;
    for (let t = 0; t < 32_000; t += 100) {
      h.timers.advance(100);
      const n = caller.responses(486).length;
      if (n !== last) times.push(h.timers.now() - start);
      last = n;
    }
    expect(times.slice(0, 6)).toEqual([500, 1500, 3500, 7500, 11500, 15500]);
    expect(user.timeouts).toBe(1);
    expect(tx.state).toBe('terminated');
  });

  it('no Timer G on TCP; Timer H still fires', () => {
    const { h, caller, txs, user } = setup();
    void caller.send(requestText({ method: 'INVITE', transport: 'tcp' }), {
      address: '10.0.0.10',
      transport: 'tcp',
    });
    h.timers.advance(0);
    const tx = txs[0]!;
    tx.respond(createResponse(tx.request, 486));
    h.timers.advance(31_999);
    expect(caller.responses(486)).toHaveLength(1);
    expect(user.timeouts).toBe(0);
    h.timers.advance(1);
    expect(user.timeouts).toBe(1);
  });

  it('ACK → Confirmed, absorbed; Timer I = T4 on UDP', () => {
    const { h, caller, txs, unmatched } = setup();
    void caller.send(requestText({ method: 'INVITE', branch: 'z9hG4bKack' }));
    h.timers.advance(0);
    const tx = txs[0]!;
    tx.respond(createResponse(tx.request, 404, undefined, { toTag: 'x' }));
    const ack = requestText({ method: 'ACK', branch: 'z9hG4bKack', toTag: 'x' });
    void caller.send(ack);
    h.timers.advance(0);
    expect(tx.state).toBe('confirmed');
    void caller.send(ack);
    h.timers.advance(0);
    expect(unmatched).toHaveLength(0);
    h.timers.advance(2000);
    expect(caller.responses(404)).toHaveLength(1); // G stopped by the ACK
    h.timers.advance(2999);
    expect(tx.state).toBe('confirmed');
    h.timers.advance(1);
    expect(tx.state).toBe('terminated');
  });

  it('Timer I is zero on TCP', () => {
    const { h, caller, txs } = setup();
    const to = { address: '10.0.0.10', transport: 'tcp' as const };
    void caller.send(requestText({ method: 'INVITE', branch: 'z9hG4bKti', transport: 'tcp' }), to);
    h.timers.advance(0);
    const tx = txs[0]!;
    tx.respond(createResponse(tx.request, 404, undefined, { toTag: 'x' }));
    void caller.send(requestText({ method: 'ACK', branch: 'z9hG4bKti', transport: 'tcp' }), to);
    h.timers.advance(0);
    expect(tx.state).toBe('terminated');
  });

  it('2xx → Accepted: INVITE retransmissions absorbed, 2xx from the TU passed on, ACK goes up, Timer L ends it', () => {
    const { h, caller, txs, unmatched } = setup();
    const invite = requestText({ method: 'INVITE', branch: 'z9hG4bKacc' });
    void caller.send(invite);
    h.timers.advance(0);
    const tx = txs[0]!;
    const ok = createResponse(tx.request, 200, undefined, { toTag: 'x' });
    tx.respond(ok);
    h.timers.advance(0);
    expect(tx.state).toBe('accepted');
    void caller.send(invite);
    h.timers.advance(2000);
    expect(caller.responses(200)).toHaveLength(1); // no retransmission of its own
    expect(tx.respond(ok)).toBe(true); // the TU's (UAS core's) retransmission
    h.timers.advance(0);
    expect(caller.responses(200)).toHaveLength(2);
    // an ACK matching the transaction (same branch: RFC 2543-style UAs) goes to the TU
    void caller.send(requestText({ method: 'ACK', branch: 'z9hG4bKacc', toTag: 'x' }));
    h.timers.advance(0);
    expect(unmatched).toHaveLength(1);
    expect(tx.respond(createResponse(tx.request, 486))).toBe(false);
    h.timers.advance(32_000 - 2000 - 1);
    expect(tx.state).toBe('accepted');
    h.timers.advance(1);
    expect(tx.state).toBe('terminated');
    expect(h.layer.size.servers).toBe(0);
  });
});

describe('non-INVITE server transaction (§17.2.2)', () => {
  it('Trying discards retransmissions; Proceeding re-sends the provisional; Completed the final; Timer J', () => {
    const { h, caller, txs } = setup();
    const text = requestText({ method: 'OPTIONS', branch: 'z9hG4bKnist' });
    void caller.send(text);
    h.timers.advance(0);
    const tx = txs[0]!;
    void caller.send(text);
    h.timers.advance(0);
    expect(caller.received).toHaveLength(0);
    tx.respond(createResponse(tx.request, 100));
    void caller.send(text);
    h.timers.advance(0);
    expect(caller.responses(100)).toHaveLength(2);
    tx.respond(createResponse(tx.request, 200));
    void caller.send(text);
    h.timers.advance(0);
    expect(caller.responses(200)).toHaveLength(2);
    expect(tx.respond(createResponse(tx.request, 500))).toBe(false);
    expect(() => tx.respond(createResponse(tx.request, 700))).toThrow(/out of range/);
    h.timers.advance(31_999);
    expect(tx.state).toBe('completed');
    h.timers.advance(1);
    expect(tx.state).toBe('terminated');
    expect(txs).toHaveLength(1);
  });

  it('Timer J is zero on TCP', () => {
    const { h, caller, txs } = setup();
    void caller.send(requestText({ method: 'OPTIONS', transport: 'tcp' }), {
      address: '10.0.0.10',
      transport: 'tcp',
    });
    h.timers.advance(0);
    const tx = txs[0]!;
    tx.respond(createResponse(tx.request, 200));
    expect(tx.state).toBe('terminated');
  });
});

describe('RFC 2543 peers (no magic cookie)', () => {
  it('retransmissions and the ACK match by Request-URI, tags, Call-ID, CSeq and top Via', () => {
    const { h, caller, txs, unmatched } = setup();
    const via = 'SIP/2.0/UDP 10.0.0.1:5060;branch=oldstyle1';
    const invite = requestText({ method: 'INVITE', via });
    void caller.send(invite);
    void caller.send(invite);
    h.timers.advance(0);
    expect(txs).toHaveLength(1);
    expect(txs[0]!.rfc2543).toBe(true);
    txs[0]!.respond(createResponse(txs[0]!.request, 486, undefined, { toTag: 'tt' }));
    // an ACK with another To tag is not this transaction's
    void caller.send(requestText({ method: 'ACK', via, toTag: 'other' }));
    h.timers.advance(0);
    expect(unmatched).toHaveLength(1);
    void caller.send(requestText({ method: 'ACK', via, toTag: 'tt' }));
    h.timers.advance(0);
    expect(txs[0]!.state).toBe('confirmed');
    // no branch at all works too
    void caller.send(requestText({ method: 'OPTIONS', via: 'SIP/2.0/UDP 10.0.0.1:5060', cseq: 7 }));
    void caller.send(requestText({ method: 'OPTIONS', via: 'SIP/2.0/UDP 10.0.0.1:5060', cseq: 7 }));
    h.timers.advance(0);
    expect(txs).toHaveLength(2);
  });
});
