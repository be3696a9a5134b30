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
  validateResponse,
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

  it('locates structured values without checking them; validation or a strict parse does', () => {
    // From with unbalanced quotes, Route with LWS inside <>: the hot path only locates them
    const badFrom = INVITE.replace('From: Alice <', 'From: "Alice <');
    const req = parseMessage(b(badFrom)) as SipRequest;
    expect(req.callId).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(validateRequest(req)).toMatchObject({ status: 400, code: 'BAD_NAME_ADDR' });
    expect(catchErr(() => parseMessage(b(badFrom), { strict: true }))).toMatchObject({
      status: 400,
      code: 'BAD_NAME_ADDR',
    });
    const badRuri = INVITE.replace('INVITE sip:bob@', 'INVITE <sip:bob@');
    expect(validateRequest(parseMessage(b(badRuri)) as SipRequest)?.code).toBe('BAD_URI');
    expect(catchErr(() => parseMessage(b(badRuri), { strict: true })).code).toBe('BAD_URI');
    // a response with a bad Record-Route: validateResponse says drop, strict parse drops
    const badRes = OK_WITH_RR.replace('Record-Route: <sip:', 'Record-Route: < sip:');
    const res = parseMessage(b(badRes)) as SipResponse;
    expect(validateResponse(res)?.code).toBe('BAD_URI');
    expect(catchErr(() => parseMessage(b(badRes), { strict: true })).status).toBeUndefined();
    // an edited value is checked as it is now
    const ok = parseMessage(b(INVITE)) as SipRequest;
    ok.headers.set('To', '"Bob <sip:bob@biloxi.example.com>');
    expect(validateRequest(ok)?.code).toBe('BAD_NAME_ADDR');
  });

  it('checks the top Via when topViaRaw first reads it (400, or drop for a response)', () => {
    const req = parseMessage(b(INVITE.replace(/^Via: .*$/m, 'Via: garbage'))) as SipRequest;
    expect(catchErr(() => req.topViaRaw)).toMatchObject({ status: 400, code: 'BAD_VIA' });
    const res = parseMessage(
      b(RINGING.replace(/^Via: .*$/m, 'Via: SIP/2.0/UDP ;;')),
    ) as SipResponse;
    expect(catchErr(() => res.topViaRaw)).toMatchObject({ status: undefined, code: 'BAD_VIA' });
    // only the top value is the hot path's business; the rest is validation's
    const second = parseMessage(
      b(RINGING.replace(/^(Via: .*\r\n)Via: .*$/m, '$1Via: bad')),
    ) as SipResponse;
    expect(second.topViaRaw).toMatch(/^SIP\/2\.0\/UDP edge\.strata\.example/);
    expect(validateResponse(second)?.code).toBe('BAD_VIA');
    // the Via limit still holds at parse time, counting values
    const many = `Via: ${Array.from({ length: 65 }, () => 'SIP/2.0/UDP h;x="a,b"').join(', ')}\r\n`;
    expect(
      catchErr(() => parseMessage(b(INVITE.replace('Max-Forwards', `${many}Max-Forwards`)))).code,
    ).toBe('TOO_MANY_VIA');
    const quoted = `Via: SIP/2.0/UDP h;x="a,b,c,d,e,f"\r\n`;
    expect(() =>
      parseMessage(b(INVITE.replace('Max-Forwards', `${quoted}Max-Forwards`)), {
        limits: { maxVia: 2 },
      }),
    ).not.toThrow();
  });

  it('reads and checks an edited or pushed top Via too (the edge reads it after the received edit)', () => {
    const req = parseMessage(b(INVITE)) as SipRequest;
    const edited = `${req.topViaRaw!};received=192.0.2.7`;
    req.headers.replaceFirstValue('Via', edited);
    expect(req.topViaRaw).toBe(edited);
    req.headers.prepend('Via', 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp');
    expect(req.topViaRaw).toBe('SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp');
    // a pushed line with two values: the first one, through the exact path
    req.headers.prepend('Via', 'SIP/2.0/TCP a.example.com;branch=z9hG4bKa , SIP/2.0/UDP b;x');
    expect(req.topViaRaw).toBe('SIP/2.0/TCP a.example.com;branch=z9hG4bKa');
    req.headers.prepend('Via', 'SIP/2.0/UDP ;;');
    expect(catchErr(() => req.topViaRaw)).toMatchObject({ status: 400, code: 'BAD_VIA' });
    // a removed top line: the next one
    const popped = parseMessage(b(RINGING)) as SipResponse;
    const second = popped.vias[1]!;
    popped.headers.removeFirstValue('Via');
    expect(popped.topViaRaw).toContain(second.host);
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

  it('classifies header names by their exact name in any case, not by a prefix or a length', () => {
    // look-alikes first: same length and first characters as a hot name, or
    // a hot name with one more character; the hot reads must skip them
    const text = [
      'INVITE sip:bob@example.com SIP/2.0',
      'Vib: SIP/2.0/UDP wrong.example.com;branch=z9hG4bKw',
      'VIA: SIP/2.0/UDP right.example.com;branch=z9hG4bKr',
      'Call-Ix: wrong',
      'CALL-id: right',
      'CSeqs: 9 BYE',
      'cseq: 7 INVITE',
      'Max-Forwardz: 1',
      'MAX-FORWARDS: 69',
      'Contacts: <sip:wrong@example.com>',
      'Content-Lengtx: 99',
      'content-length: 0',
      'x: not a compact hot form',
      '',
      '',
    ].join('\r\n');
    const m = parseMessage(b(text)) as SipRequest;
    expect(m.topViaRaw).toBe('SIP/2.0/UDP right.example.com;branch=z9hG4bKr');
    expect(m.callId).toBe('right');
    expect(m.cseq).toEqual({ seq: 7, method: 'INVITE' });
    expect(m.maxForwards).toBe(69);
    expect(m.contentLength).toBe(0);
    expect(m.headers.getAll('contact')).toEqual([]);
    expect(m.headers.get('Contacts')).toBe('<sip:wrong@example.com>');
    // every compact form of a hot header (RFC 3261 §7.3.3) is located too
    const compact = parseMessage(
      b(
        'OPTIONS sip:a@b SIP/2.0\r\nV: SIP/2.0/UDP h;branch=z9hG4bK1\r\nI: id1\r\n' +
          'F: <sip:a@b>;tag=1\r\nT: <sip:c@d>\r\nM: <sip:e@f>\r\nCSeq: 2 OPTIONS\r\nL: 0\r\n\r\n',
      ),
    ) as SipRequest;
    expect(compact.callId).toBe('id1');
    expect(compact.contentLength).toBe(0);
    expect(compact.fromTag).toBe('1');
    expect(compact.headers.get('to')).toBe('<sip:c@d>');
    expect(compact.headers.getAll('contact')).toEqual(['<sip:e@f>']);
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
