/**
 * The stateless branch (RFC 3261 §16.11): stable for retransmissions and CANCEL,
 * different for two clients that use the same branch from different sent-by
 * addresses (§17.2.3 matches on branch and sent-by) — sipp in containers runs as
 * PID 1, so every run numbers its branches z9hG4bK-1-<call>-<n>.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseMessage, type SipRequest } from '@strata/parser';
import { statelessBranch } from '../src/branch.js';

const req = (method: string, via: string, callId = 'c1'): SipRequest =>
  parseMessage(
    Buffer.from(
      `${method} sip:wait@edge:5060 SIP/2.0\r\nVia: ${via}\r\n` +
        `From: <sip:a@x>;tag=1\r\nTo: <sip:wait@edge>\r\nCall-ID: ${callId}\r\n` +
        `CSeq: 1 ${method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
      'latin1',
    ),
  ) as SipRequest;

describe('statelessBranch', () => {
  it('same transaction → same branch; same branch from another sent-by → another branch', () => {
    const via = 'SIP/2.0/UDP 10.89.77.96:5060;branch=z9hG4bK-1-7-0;rport';
    const invite = statelessBranch(req('INVITE', via), 'edge-1');
    expect(statelessBranch(req('INVITE', via), 'edge-1')).toBe(invite); // retransmission
    expect(statelessBranch(req('CANCEL', via), 'edge-1')).toBe(invite); // CANCEL matches
    // received/rport added later or parameter order do not matter, the sent-by does
    expect(
      statelessBranch(
        req('INVITE', 'SIP/2.0/UDP 10.89.77.96:5060;rport;branch=z9hG4bK-1-7-0'),
        'edge-1',
      ),
    ).toBe(invite);
    // the next sipp container: same branch text, other address → other transaction
    const other = 'SIP/2.0/UDP 10.89.77.125:5060;branch=z9hG4bK-1-7-0;rport';
    expect(statelessBranch(req('INVITE', other, 'c2'), 'edge-1')).not.toBe(invite);
    expect(statelessBranch(req('INVITE', via), 'edge-2')).not.toBe(invite);
  });

  it('is the SHA-1 of the salt and the §16.11 inputs, so every edge version computes the same one', () => {
    // edges of one cluster must agree on a retransmission's branch during a
    // rolling upgrade: the digest below is the one earlier versions computed
    // with a Hash object fed piece by piece
    const sha1 = (...parts: string[]): string => {
      const h = createHash('sha1');
      for (const p of parts) h.update(p);
      return 'z9hG4bKsE' + h.digest('base64url').slice(0, 22);
    };
    const via = 'SIP/2.0/UDP Client.Example.com:5060 ;branch=z9hG4bK-1-7-0;rport';
    expect(statelessBranch(req('INVITE', via), 'salt')).toBe(
      sha1('salt', 'z9hG4bK-1-7-0', '\0', 'sip/2.0/udp client.example.com:5060'),
    );
    // RFC 2543 peer (no magic cookie): top Via, To tag, From tag, Call-ID, CSeq number, R-URI
    const old = 'SIP/2.0/UDP 192.0.2.1:5060;branch=1234';
    expect(statelessBranch(req('OPTIONS', old, 'c9'), 'salt')).toBe(
      sha1('salt', old, '\0', '', '\0', '1', '\0', 'c9', '\0', '1', '\0', 'sip:wait@edge:5060'),
    );
  });
});
