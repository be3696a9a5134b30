import { parseMessage, type SipRequest, type SipResponse } from '@strata/parser';
import { describe, expect, it } from 'vitest';
import { bumpVersion, SdpMemory } from '../src/actions/sdp-memory.js';

const sdp = (host: string, version: number): string =>
  `v=0\r\no=- 4242 ${version} IN IP4 ${host}\r\ns=-\r\nc=IN IP4 ${host}\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n`;

function msg(first: string, from: string, to: string, body = '', cseq = '1 INVITE'): string {
  return [
    first,
    'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1',
    `From: <sip:a@x>;tag=${from}`,
    `To: <sip:b@x>${to === '' ? '' : `;tag=${to}`}`,
    'Call-ID: s1@x',
    `CSeq: ${cseq}`,
    ...(body === '' ? [] : ['Content-Type: application/sdp']),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}
const req = (t: string): SipRequest =>
  parseMessage(Buffer.from(t), { framing: 'datagram' }) as SipRequest;
const res = (t: string): SipResponse =>
  parseMessage(Buffer.from(t), { framing: 'datagram' }) as SipResponse;

describe('SdpMemory', () => {
  it("remembers each party's last offer/answer by tags; the peer's is what a hold offers", () => {
    const m = new SdpMemory();
    m.request(req(msg('INVITE sip:b@x SIP/2.0', 'A', '', sdp('10.0.0.1', 1))));
    m.response(res(msg('SIP/2.0 200 OK', 'A', 'B', sdp('10.0.0.2', 7))));
    expect(m.peerOf('s1@x', 'callee')).toContain('10.0.0.1'); // holding the callee: the caller's
    expect(m.peerOf('s1@x', 'caller')).toContain('10.0.0.2');
    // the callee's re-INVITE (tags swapped) updates the callee's SDP; the caller's 200 the caller's
    m.request(req(msg('INVITE sip:a@x SIP/2.0', 'B', 'A', sdp('10.0.0.3', 8), '1 INVITE')));
    m.response(res(msg('SIP/2.0 200 OK', 'B', 'A', sdp('10.0.0.4', 2), '1 INVITE')));
    expect(m.peerOf('s1@x', 'caller')).toContain('10.0.0.3');
    expect(m.peerOf('s1@x', 'callee')).toContain('10.0.0.4');
    // no body, errors, unknown calls: nothing changes
    m.request(req(msg('INFO sip:b@x SIP/2.0', 'A', 'B', '', '2 INFO')));
    m.response(res(msg('SIP/2.0 488 Not Acceptable Here', 'A', 'B', sdp('9.9.9.9', 1))));
    expect(m.peerOf('s1@x', 'callee')).toContain('10.0.0.4');
    m.offered('s1@x', 'callee', 'mine');
    expect(m.peerOf('s1@x', 'callee')).toBe('mine');
    m.forget('s1@x');
    expect(m.peerOf('s1@x', 'callee')).toBeNull();
    expect(m.size).toBe(0);
  });

  it('bounded: beyond maxCalls new calls are not remembered', () => {
    const m = new SdpMemory(1);
    m.request(req(msg('INVITE sip:b@x SIP/2.0', 'A', '', sdp('10.0.0.1', 1))));
    m.request(
      req(msg('INVITE sip:b@x SIP/2.0', 'A', '', sdp('10.0.0.1', 1)).replace('s1@x', 's2@x')),
    );
    expect(m.size).toBe(1);
  });

  it('bumpVersion: o= sess-version + 1 (64-bit safe), nothing else', () => {
    expect(bumpVersion(sdp('10.0.0.1', 41))).toBe(sdp('10.0.0.1', 42));
    expect(bumpVersion('v=0\r\no=u 1 18446744073709551615 IN IP4 h\r\n')).toBe(
      'v=0\r\no=u 1 18446744073709551616 IN IP4 h\r\n',
    );
    expect(bumpVersion('v=0\r\n')).toBe('v=0\r\n');
  });
});
