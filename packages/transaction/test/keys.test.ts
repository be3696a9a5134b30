import { parseMessage, type SipRequest, type SipResponse } from '@strata/parser';
import { describe, expect, it } from 'vitest';
import {
  clientKey,
  clientKeyOfResponse,
  inviteKeyOfCancel,
  isRfc3261Branch,
  serverKeyOfRequest,
} from '../src/keys.js';
import { requestText } from './support/sip.js';

const req = (spec: Parameters<typeof requestText>[0]): SipRequest =>
  parseMessage(Buffer.from(requestText(spec))) as SipRequest;

describe('client key (§17.1.3)', () => {
  it('is branch + CSeq method', () => {
    const res = parseMessage(
      Buffer.from(
        'SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP p:5060;branch=z9hG4bKabc\r\nVia: SIP/2.0/UDP a\r\n' +
          'From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>;tag=2\r\nCall-ID: c\r\nCSeq: 5 INVITE\r\nContent-Length: 0\r\n\r\n',
      ),
    ) as SipResponse;
    expect(clientKeyOfResponse(res)).toBe(clientKey('z9hG4bKabc', 'INVITE'));
    expect(clientKey('z9hG4bKabc', 'INVITE')).not.toBe(clientKey('z9hG4bKabc', 'CANCEL'));
  });

  it('is null without a branch', () => {
    const res = parseMessage(
      Buffer.from(
        'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP p:5060\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: c\r\nCSeq: 5 BYE\r\nContent-Length: 0\r\n\r\n',
      ),
    ) as SipResponse;
    expect(clientKeyOfResponse(res)).toBeNull();
  });
});

describe('server key (§17.2.3)', () => {
  it('matches branch + sent-by + method; ACK maps to its INVITE; CANCEL has its own', () => {
    const invite = req({ method: 'INVITE', branch: 'z9hG4bK1' });
    const ack = req({ method: 'ACK', branch: 'z9hG4bK1', toTag: 'x' });
    const cancel = req({ method: 'CANCEL', branch: 'z9hG4bK1' });
    expect(serverKeyOfRequest(ack)).toBe(serverKeyOfRequest(invite));
    expect(serverKeyOfRequest(cancel)).not.toBe(serverKeyOfRequest(invite));
    expect(inviteKeyOfCancel(cancel)).toBe(serverKeyOfRequest(invite));
  });

  it('differs by sent-by and by branch; default port and host case are normalised', () => {
    const a = req({ method: 'INVITE', branch: 'z9hG4bK1', viaHost: 'Host.Example', viaPort: 5060 });
    const b = req({ method: 'INVITE', via: 'SIP/2.0/UDP host.example;branch=z9hG4bK1' });
    const c = req({ method: 'INVITE', branch: 'z9hG4bK1', viaHost: 'other.example' });
    const d = req({ method: 'INVITE', branch: 'z9hG4bK2', viaHost: 'host.example' });
    expect(serverKeyOfRequest(a)).toBe(serverKeyOfRequest(b));
    expect(serverKeyOfRequest(a)).not.toBe(serverKeyOfRequest(c));
    expect(serverKeyOfRequest(a)).not.toBe(serverKeyOfRequest(d));
  });

  it('falls back to RFC 2543 matching without the magic cookie', () => {
    const via = 'SIP/2.0/UDP 10.0.0.1:5060;branch=1';
    const invite = req({ method: 'INVITE', via });
    const again = req({ method: 'INVITE', via });
    const ack = req({ method: 'ACK', via, toTag: 'tt' });
    const otherCseq = req({ method: 'INVITE', via, cseq: 2 });
    const otherUri = req({ method: 'INVITE', via, uri: 'sip:carol@example.com' });
    const otherFrom = req({ method: 'INVITE', via, fromTag: 'zz' });
    const cancel = req({ method: 'CANCEL', via });
    expect(serverKeyOfRequest(invite)).toMatch(/^2543/);
    expect(serverKeyOfRequest(again)).toBe(serverKeyOfRequest(invite));
    expect(serverKeyOfRequest(ack)).toBe(serverKeyOfRequest(invite));
    expect(serverKeyOfRequest(otherCseq)).not.toBe(serverKeyOfRequest(invite));
    expect(serverKeyOfRequest(otherUri)).not.toBe(serverKeyOfRequest(invite));
    expect(serverKeyOfRequest(otherFrom)).not.toBe(serverKeyOfRequest(invite));
    expect(inviteKeyOfCancel(cancel)).toBe(serverKeyOfRequest(invite));
  });

  it('recognises the magic cookie', () => {
    expect(isRfc3261Branch('z9hG4bKx')).toBe(true);
    expect(isRfc3261Branch('z9hg4bkx')).toBe(false);
    expect(isRfc3261Branch(null)).toBe(false);
  });
});
