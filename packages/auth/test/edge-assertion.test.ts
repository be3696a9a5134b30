/**
 * The edge's signed "authenticated as" header: accepted for the request it was made for,
 * refused when forged, moved to another request, edited, duplicated or old.
 */
import { parseMessage, serializeMessage, type SipRequest } from '@strata/parser';
import { describe, expect, it } from 'vitest';
import { ASSERTION_HEADER, EdgeAssertion } from '../src/index.js';

function register(over: { callId?: string; cseq?: number; contact?: string; to?: string } = {}) {
  const text = [
    'REGISTER sip:example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bKa1',
    'Max-Forwards: 70',
    `To: ${over.to ?? '<sip:alice@example.com>'}`,
    'From: <sip:alice@example.com>;tag=1',
    `Call-ID: ${over.callId ?? 'c1'}`,
    `CSeq: ${over.cseq ?? 1} REGISTER`,
    `Contact: ${over.contact ?? '<sip:alice@192.0.2.4>'}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return parseMessage(Buffer.from(text)) as SipRequest;
}

/** What the core receives: the request as the edge serialised it, parsed again. */
function onTheWire(req: SipRequest): SipRequest {
  return parseMessage(serializeMessage(req)) as SipRequest;
}

const SECRET = 'edge-and-core-share-this';

describe('EdgeAssertion', () => {
  it('vouches for the user on the request it was stamped on, after a trip over the wire', () => {
    let now = 1_000_000;
    const edge = new EdgeAssertion({ secret: SECRET, now: () => now });
    const core = new EdgeAssertion({ secret: SECRET, now: () => now });
    const req = register();
    edge.stamp(req, 'alice');
    expect(core.verify(onTheWire(req))).toBe('alice');
    now += 29_000;
    expect(core.verify(onTheWire(req))).toBe('alice');
    now += 2_000; // older than maxAgeSeconds (30)
    expect(core.verify(onTheWire(req))).toBeNull();
  });

  it('replaces a client’s own header; refuses forgeries, other requests and edits', () => {
    const edge = new EdgeAssertion({ secret: SECRET });
    const core = new EdgeAssertion({ secret: SECRET });
    const forged = register();
    forged.headers.append(
      ASSERTION_HEADER,
      `user="alice";ts=${Math.floor(Date.now() / 1000)};sig=${'A'.repeat(43)}`,
    );
    expect(core.verify(forged)).toBeNull();
    // another secret (a client guessing, an edge of another deployment)
    const other = register();
    new EdgeAssertion({ secret: 'not-the-shared-secret' }).stamp(other, 'alice');
    expect(core.verify(other)).toBeNull();
    // the edge drops the client's copy and adds exactly one of its own
    edge.stamp(forged, 'alice');
    expect(forged.headers.getAll(ASSERTION_HEADER)).toHaveLength(1);
    expect(core.verify(forged)).toBe('alice');

    const signed = register();
    edge.stamp(signed, 'alice');
    const value = signed.headers.get(ASSERTION_HEADER)!;
    const moved = (r: SipRequest): string | null => {
      r.headers.append(ASSERTION_HEADER, value);
      return core.verify(r);
    };
    expect(moved(register())).toBe('alice'); // the same request again (a retransmission)
    expect(moved(register({ cseq: 2 }))).toBeNull();
    expect(moved(register({ callId: 'c2' }))).toBeNull();
    expect(moved(register({ contact: '<sip:mallory@203.0.113.9>' }))).toBeNull();
    expect(moved(register({ to: '<sip:bob@example.com>' }))).toBeNull();
    // the user name inside cannot be changed either
    const renamed = register();
    renamed.headers.append(ASSERTION_HEADER, value.replace('alice', 'bob'));
    expect(core.verify(renamed)).toBeNull();
    // two headers: ambiguous, refused
    const twice = register();
    edge.stamp(twice, 'alice');
    twice.headers.append(ASSERTION_HEADER, twice.headers.get(ASSERTION_HEADER)!);
    expect(core.verify(twice)).toBeNull();
  });

  it('never throws on garbage and round-trips quotes in user names', () => {
    const a = new EdgeAssertion({ secret: SECRET });
    for (const junk of [
      '',
      'user=alice',
      'user="a";ts=x;sig=y',
      `user="a";ts=1;sig=${'!'.repeat(43)}`,
    ]) {
      const r = register();
      r.headers.append(ASSERTION_HEADER, junk);
      expect(a.verify(r)).toBeNull();
    }
    const r = register();
    a.stamp(r, 'we"ird\\name');
    expect(a.verify(onTheWire(r))).toBe('we"ird\\name');
  });
});
