import { describe, expect, it } from 'vitest';
import {
  createResponse,
  parseMessage,
  popVia,
  pushRecordRoute,
  pushVia,
  serializeMessage,
  SipParseError,
  SipRequest,
  SipResponse,
  validateRequest,
} from '../src/index.js';
import { INVITE, OK_WITH_RR, REGISTER, RINGING } from './messages.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('parseMessage', () => {
  it('parses a request with hot fields', () => {
    const m = parseMessage(b(INVITE));
    expect(m).toBeInstanceOf(SipRequest);
    const req = m as SipRequest;
    expect(req.method).toBe('INVITE');
    expect(req.uri).toBe('sip:bob@biloxi.example.com');
    expect(req.callId).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(req.cseq).toEqual({ seq: 314159, method: 'INVITE' });
    expect(req.maxForwards).toBe(70);
    expect(req.contentLength).toBe(req.body.length);
    expect(req.topVia?.params.get('branch')).toBe('z9hG4bK776asdhds');
    expect(req.topVia?.params.get('rport')).toBeNull();
    expect(req.fromTag).toBe('1928301774');
    expect(req.toTag).toBeNull();
    expect(req.from.displayName).toBe('Alice');
  });

  it('parses a response and its lists', () => {
    const res = parseMessage(b(OK_WITH_RR)) as SipResponse;
    expect(res).toBeInstanceOf(SipResponse);
    expect(res.status).toBe(200);
    expect(res.reason).toBe('OK');
    expect(res.vias).toHaveLength(2);
    expect(res.recordRoutes.map((r) => r.uri)).toHaveLength(2);
    expect(res.toTag).toBe('a6c85cf');
  });

  it('round-trips untouched messages byte for byte', () => {
    for (const text of [INVITE, RINGING, OK_WITH_RR, REGISTER]) {
      expect(serializeMessage(parseMessage(b(text))).toString('latin1')).toBe(text);
    }
  });

  it('changes only the touched lines after Via push and pop', () => {
    const req = parseMessage(b(INVITE)) as SipRequest;
    pushVia(req, 'SIP/2.0/UDP edge.example:5060;branch=z9hG4bKabc');
    pushRecordRoute(req, '<sip:edge.example;lr>');
    const out = serializeMessage(req).toString('latin1');
    const [firstLine, ...rest] = INVITE.split('\r\n');
    expect(out).toBe(
      [
        firstLine,
        'Record-Route: <sip:edge.example;lr>',
        'Via: SIP/2.0/UDP edge.example:5060;branch=z9hG4bKabc',
        ...rest,
      ].join('\r\n'),
    );
    const again = parseMessage(Buffer.from(out, 'latin1')) as SipRequest;
    expect(again.topVia?.host).toBe('edge.example');
    expect(popVia(again)).toBe('SIP/2.0/UDP edge.example:5060;branch=z9hG4bKabc');
    expect(again.topVia?.host).toBe('pc33.atlanta.example.com');

    const res = parseMessage(b(RINGING)) as SipResponse;
    popVia(res);
    expect(serializeMessage(res).toString('latin1')).toBe(
      RINGING.replace(/Via: [^\r]*edge[^\r]*\r\n/, ''),
    );
  });

  it('pops one value of a multi-value Via line and keeps the rest', () => {
    const text = RINGING.replace(/Via: (.*)\r\nVia: (.*)\r\n/, 'Via: $1, $2\r\n');
    const res = parseMessage(b(text)) as SipResponse;
    expect(res.vias).toHaveLength(2);
    popVia(res);
    expect(res.vias).toHaveLength(1);
    expect(res.topVia?.host).toBe('pc33.atlanta.example.com');
  });

  it('rejects a bad request with a 400 and a bad response with no status', () => {
    const badReq = INVITE.replace('CSeq: 314159 INVITE', 'CSeq: x INVITE');
    expect(() => parseMessage(b(badReq))).toThrow(SipParseError);
    try {
      parseMessage(b(badReq));
    } catch (e) {
      expect((e as SipParseError).status).toBe(400);
      expect((e as SipParseError).code).toBe('BAD_CSEQ');
    }
    const badRes = RINGING.replace('CSeq: 314159 INVITE', 'CSeq: x INVITE');
    try {
      parseMessage(b(badRes));
      expect.unreachable();
    } catch (e) {
      expect((e as SipParseError).status).toBeUndefined();
    }
  });

  it('parses another SIP version; validateRequest answers 505 (RFC 4475 §3.1.2.16)', () => {
    const req = parseMessage(b(INVITE.replace('SIP/2.0\r\nVia', 'SIP/7.0\r\nVia'))) as SipRequest;
    expect(req.version).toBe('SIP/7.0');
    expect(validateRequest(req)?.status).toBe(505);
    expect(
      catchErr(() => parseMessage(b(INVITE.replace('SIP/2.0\r\nVia', 'SIP/2\r\nVia')))).status,
    ).toBe(400);
  });

  it('ignores bytes after Content-Length in a datagram (RFC 3261 §18.3)', () => {
    const m = parseMessage(b(REGISTER + 'garbage after the message'));
    expect(m.body.length).toBe(0);
    expect(serializeMessage(m).toString('latin1')).toBe(REGISTER);
  });

  it('flags a datagram shorter than its Content-Length', () => {
    const m = parseMessage(b(INVITE.slice(0, -10)));
    expect(m.truncatedBy).toBe(10);
  });

  it('unfolds continuation lines and keeps compact forms', () => {
    const text = [
      'OPTIONS sip:carol@chicago.example.com SIP/2.0',
      'v: SIP/2.0/TCP  host.example.com ;branch=z9hG4bKx',
      'f: <sip:a@b>;tag=1',
      't: <sip:c@d>',
      'i: abc',
      'CSeq: 1',
      '  OPTIONS',
      'Subject: hello',
      '\tworld',
      'l: 0',
      '',
      '',
    ].join('\r\n');
    const m = parseMessage(b(text)) as SipRequest;
    expect(m.cseq).toEqual({ seq: 1, method: 'OPTIONS' });
    expect(m.headers.get('subject')).toBe('hello world');
    expect(m.headers.get('s')).toBe('hello world');
    expect(m.callId).toBe('abc');
    expect(m.topVia?.transport).toBe('TCP');
    expect(serializeMessage(m).toString('latin1')).toBe(text);
  });
});

describe('createResponse', () => {
  it('copies the RFC 3261 §8.2.6 headers and adds a To tag', () => {
    const req = parseMessage(b(INVITE)) as SipRequest;
    const res = createResponse(req, 486, undefined, { toTag: 'xyz' });
    const text = serializeMessage(res).toString('latin1');
    expect(text.startsWith('SIP/2.0 486 Busy Here\r\n')).toBe(true);
    expect(res.toTag).toBe('xyz');
    expect(res.callId).toBe(req.callId);
    expect(res.cseq).toEqual(req.cseq);
    expect(res.vias[0]?.params.get('branch')).toBe('z9hG4bK776asdhds');
    expect(res.contentLength).toBe(0);
    const trying = createResponse(req, 100);
    expect(trying.toTag).toBeNull();
    const parsed = parseMessage(
      text.endsWith('\r\n\r\n') ? Buffer.from(text) : Buffer.alloc(0),
    ) as SipResponse;
    expect(parsed.status).toBe(486);
  });
});

function catchErr(f: () => unknown): SipParseError {
  try {
    f();
  } catch (e) {
    if (e instanceof SipParseError) return e;
    throw e;
  }
  throw new Error('expected a SipParseError');
}
