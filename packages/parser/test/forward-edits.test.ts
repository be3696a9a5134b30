/**
 * The edits a proxy's forward makes (RFC 3261 §16.6, §18.2.1) and what the
 * serialiser then writes: replaced top value in place, pushed Via, popped
 * Via, start-line setters, the lazily created body.
 */
import { describe, expect, it } from 'vitest';
import {
  HotHeader,
  parseMessage,
  popVia,
  pushVia,
  serializeMessage,
  type SipRequest,
  type SipResponse,
} from '../src/index.js';

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
const text = (b: Buffer): string => b.toString('latin1');

const REQUEST =
  'INVITE sip:bob@example.com SIP/2.0\r\n' +
  'v: SIP/2.0/UDP 192.0.2.1:40000;rport;branch=z9hG4bK1 , SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK0\r\n' +
  'Call-ID: a@b\r\n' +
  'CSeq: 1 INVITE\r\n' +
  'Content-Length: 4\r\n' +
  '\r\n' +
  'abcd';

describe('forward edits', () => {
  it('topVia parses the top value alone, and follows pushes and pops', () => {
    // a response as the edge gets it back: our Via, then one no parser accepts
    const res = parseMessage(
      bytes(
        'SIP/2.0 180 Ringing\r\n' +
          'Via: SIP/2.0/UDP edge.example;branch=z9hG4bKe, SIP/2.0/UDP 192.0.2.1:40000;branch=z9hG4bK1\r\n' +
          'Via: SIP/2.0/UDP\r\n' +
          'Call-ID: a@b\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
      ),
    ) as SipResponse;
    expect(res.topVia?.host).toBe('edge.example');
    // all of them: the bad one counts
    expect(() => res.vias).toThrow();
    popVia(res);
    expect(res.topVia?.host).toBe('192.0.2.1');
    expect(res.topVia?.port).toBe(40000);
    pushVia(res, 'SIP/2.0/TCP pushed.example;branch=z9hG4bKq');
    expect(res.topVia?.transport).toBe('TCP');
    popVia(res);
    popVia(res);
    expect(() => res.topVia).toThrow();
  });

  it('replaceFirstValue rewrites the first value where the line stands, keeping the rest', () => {
    const req = parseMessage(bytes(REQUEST)) as SipRequest;
    expect(
      req.headers.replaceFirstValue('Via', 'SIP/2.0/UDP 192.0.2.1:40000;branch=z9hG4bK1'),
    ).toBe(true);
    pushVia(req, 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp');
    expect(text(serializeMessage(req))).toBe(
      'INVITE sip:bob@example.com SIP/2.0\r\n' +
        'Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp\r\n' +
        'v: SIP/2.0/UDP 192.0.2.1:40000;branch=z9hG4bK1, SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK0\r\n' +
        'Call-ID: a@b\r\nCSeq: 1 INVITE\r\nContent-Length: 4\r\n\r\nabcd',
    );
    expect(req.vias.map((v) => v.host)).toEqual(['proxy.example.com', '192.0.2.1', '192.0.2.9']);
    expect(req.headers.replaceFirstValue('Route', 'x')).toBe(false);
  });

  it('a one-value top Via is replaced in place and serialised once', () => {
    const req = parseMessage(
      bytes(REQUEST.replace(' , SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK0', '')),
    ) as SipRequest;
    req.headers.replaceFirstValue('via', 'SIP/2.0/UDP 192.0.2.1:40000;rport=40000;branch=z9hG4bK1');
    const out = text(serializeMessage(req));
    expect(out).toContain('\r\nv: SIP/2.0/UDP 192.0.2.1:40000;rport=40000;branch=z9hG4bK1\r\n');
    expect(out.match(/192\.0\.2\.1/g)).toHaveLength(1);
    expect(req.topViaRaw).toBe('SIP/2.0/UDP 192.0.2.1:40000;rport=40000;branch=z9hG4bK1');
  });

  it('replaceTopVia makes topViaRaw the new value, on a line with more values too', () => {
    const req = parseMessage(bytes(REQUEST)) as SipRequest;
    expect(req.topViaRaw).toBe('SIP/2.0/UDP 192.0.2.1:40000;rport;branch=z9hG4bK1');
    // an IPv6 received: valid, but not a shape the fast check accepts
    const edited = 'SIP/2.0/UDP 192.0.2.1:40000;rport=40000;branch=z9hG4bK1;received=2001:db8::1';
    expect(req.replaceTopVia(edited)).toBe(true);
    expect(req.topViaRaw).toBe(edited);
    expect(req.vias.map((v) => v.params.get('received') ?? null)).toEqual(['2001:db8::1', null]);
    expect(text(serializeMessage(req))).toContain(
      `\r\nv: ${edited}, SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK0\r\n`,
    );
    // a later edit of the Via lines drops the vouched value: checked again
    pushVia(req, 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp');
    expect(req.topViaRaw).toBe('SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp');
    const noVia = parseMessage(
      bytes('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n'),
    ) as SipRequest;
    expect(noVia.replaceTopVia(edited)).toBe(false);
    expect(noVia.topViaRaw).toBeUndefined();
  });

  it('hot fields follow edits of their own headers, and only those move hotFieldsVersion', () => {
    const req = parseMessage(
      bytes(REQUEST.replace('Call-ID: a@b\r\n', 'Call-ID: a@b\r\nMax-Forwards: 70\r\n')),
    ) as SipRequest;
    expect([req.callId, req.cseq.seq, req.maxForwards, req.contentLength]).toEqual([
      'a@b',
      1,
      70,
      4,
    ]);
    const v0 = req.headers.hotFieldsVersion;
    // a proxy's forward: received/rport, a pushed Via, a pushed Record-Route, a popped Route
    req.replaceTopVia('SIP/2.0/UDP 192.0.2.1:40000;rport=40000;branch=z9hG4bK1');
    pushVia(req, 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp');
    req.headers.prepend('Record-Route', '<sip:proxy.example.com;lr>');
    req.headers.removeFirstValue('Route');
    req.headers.remove('Route');
    req.headers.set('X-Other', '1');
    expect(req.headers.hotFieldsVersion).toBe(v0);
    expect(req.callId).toBe('a@b');
    // each hot header's own edits, through every kind of edit and a compact name
    req.headers.set('i', 'c@d');
    expect(req.callId).toBe('c@d');
    req.headers.set('Max-Forwards', '69');
    expect(req.maxForwards).toBe(69);
    req.headers.replaceFirstValue('CSeq', '2 INVITE');
    expect(req.cseq).toEqual({ seq: 2, method: 'INVITE' });
    req.headers.remove('Max-Forwards');
    expect(req.maxForwards).toBeNull();
    req.headers.append('Max-Forwards', '10');
    expect(req.maxForwards).toBe(10);
    req.headers.removeFirstValue('l');
    expect(req.contentLength).toBeNull();
    req.headers.prepend('Content-Length', '4');
    expect(req.contentLength).toBe(4);
    expect(req.headers.hotFieldsVersion).toBe(v0 + 7);
  });

  it('parsed Vias, From and To are kept across edits of other headers and re-read after their own', () => {
    const req = parseMessage(
      bytes(
        REQUEST.replace(
          'Call-ID: a@b\r\n',
          'Call-ID: a@b\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\n',
        ),
      ),
    ) as SipRequest;
    const vias = req.vias;
    const to = req.to;
    req.headers.set('Max-Forwards', '69');
    req.headers.prepend('Record-Route', '<sip:proxy.example.com;lr>');
    expect(req.vias).toBe(vias);
    expect(req.to).toBe(to);
    expect(req.headers.viaVersion).toBe(0);
    expect(req.headers.addressVersion).toBe(0);
    req.headers.set('t', '<sip:b@y>;tag=9');
    expect(req.toTag).toBe('9');
    expect(req.vias).toBe(vias);
    req.headers.removeFirstValue('v');
    expect(req.vias.map((v) => v.host)).toEqual(['192.0.2.9']);
    expect(req.topViaRaw).toBe('SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK0');
    req.headers.remove('From');
    expect(() => req.from).toThrow();
  });

  it('a stray CR at the end of a Via value is not part of the parsed Via, edited or not', () => {
    // sipp's ereg capture of a Via block keeps a CR (\r\r\n): the 487 of the CANCEL e2e
    const text =
      'SIP/2.0 487 Request Terminated\r\n' +
      'Via: SIP/2.0/UDP 127.0.0.1:40248;branch=z9hG4bKcore\r\n' +
      'Via: SIP/2.0/UDP 127.0.0.1:59441;branch=z9hG4bK-1;rport=59441;received=127.0.0.1\r\r\n' +
      'From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n' +
      'Content-Length: 0\r\n\r\n';
    const res = parseMessage(bytes(text)) as SipResponse;
    expect(res.vias[1]!.params.get('received')).toBe('127.0.0.1');
    popVia(res); // the proxy's pop, then the next Via says where the response goes
    expect(res.vias.map((v) => v.params.get('received') ?? null)).toEqual(['127.0.0.1']);
    expect(res.headers.hotValues(HotHeader.Via)).toEqual([
      'SIP/2.0/UDP 127.0.0.1:59441;branch=z9hG4bK-1;rport=59441;received=127.0.0.1',
    ]);
  });

  it('replaceFirstValue on a folded line and on an unclassified header keeps every other byte', () => {
    const folded = parseMessage(
      bytes(
        REQUEST.replace(
          'v: SIP/2.0/UDP 192.0.2.1:40000;rport;branch=z9hG4bK1 , SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK0',
          'X-Top: one\r\nX-Top: two\r\nv: SIP/2.0/UDP 192.0.2.1:40000;rport;branch=z9hG4bK1\r\n ;x=1',
        ),
      ),
    ) as SipRequest;
    expect(folded.headers.replaceFirstValue('X-Top', 'uno')).toBe(true);
    expect(folded.headers.replaceFirstValue('Via', 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK2')).toBe(
      true,
    );
    expect(text(serializeMessage(folded))).toBe(
      'INVITE sip:bob@example.com SIP/2.0\r\nX-Top: uno\r\nX-Top: two\r\n' +
        'v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK2\r\n' +
        'Call-ID: a@b\r\nCSeq: 1 INVITE\r\nContent-Length: 4\r\n\r\nabcd',
    );
  });

  it('a pushed Via keeps a folded last header as it came; the empty line is CRLF', () => {
    for (const [lastLine, empty] of [
      ['Subject: a\r\n  b  \r\n', '\r\n'],
      ['Subject: a\n\tb\n', '\n'],
      ['Subject: a\r\n', '\n'],
    ] as const) {
      const head =
        'MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n' +
        'Call-ID: a@b\r\nCSeq: 1 MESSAGE\r\nContent-Length: 2\r\n' +
        lastLine;
      const req = parseMessage(bytes(head + empty + 'hi')) as SipRequest;
      pushVia(req, 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp');
      expect(text(serializeMessage(req))).toBe(
        head.replace('\r\nVia:', '\r\nVia: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp\r\nVia:') +
          '\r\nhi',
      );
    }
  });

  it('a popped Via shortens the head (response forward, RFC 3261 §16.7 item 3)', () => {
    const res = parseMessage(
      bytes(
        'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp\r\n' +
          'Via: SIP/2.0/UDP 192.0.2.1:40000;branch=z9hG4bK1\r\nCall-ID: a@b\r\n' +
          'CSeq: 1 INVITE\r\nContent-Length: 2\r\n\r\nokEXTRA',
      ),
    ) as SipResponse;
    expect(popVia(res)).toBe('SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp');
    expect(text(serializeMessage(res))).toBe(
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1:40000;branch=z9hG4bK1\r\nCall-ID: a@b\r\n' +
        'CSeq: 1 INVITE\r\nContent-Length: 2\r\n\r\nok',
    );
  });

  it('start-line setters are serialised (the unchanged start line is copied)', () => {
    const req = parseMessage(bytes(REQUEST)) as SipRequest;
    pushVia(req, 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp');
    expect(text(serializeMessage(req)).startsWith('INVITE sip:bob@example.com SIP/2.0\r\n')).toBe(
      true,
    );
    req.method = 'OPTIONS';
    expect(req.startLineEdited).toBe(true);
    expect(text(serializeMessage(req)).startsWith('OPTIONS sip:bob@example.com SIP/2.0\r\n')).toBe(
      true,
    );
    const res = parseMessage(
      bytes('SIP/2.0 180 Ringing\r\nContent-Length: 0\r\n\r\n'),
    ) as SipResponse;
    res.status = 183;
    res.reason = 'Session Progress';
    expect(text(serializeMessage(res))).toBe(
      'SIP/2.0 183 Session Progress\r\nContent-Length: 0\r\n\r\n',
    );
  });

  it('the body is the Content-Length bytes, created on read; a new body is written', () => {
    const req = parseMessage(bytes(`${REQUEST}TRAILING`)) as SipRequest;
    expect(req.bodyLength).toBe(4);
    expect(text(req.body)).toBe('abcd');
    expect(text(serializeMessage(req))).toBe(REQUEST);
    req.setBody('hello');
    const out = text(serializeMessage(req));
    expect(out.endsWith('Content-Length: 5\r\n\r\nhello')).toBe(true);
  });

  it('each serialised forward has its own bytes (outputs share a slab, never a region)', () => {
    const outs: Buffer[] = [];
    const expected: string[] = [];
    // enough outputs to fill more than one 64 kB slab, and some larger than a slab region
    for (let i = 0; i < 400; i++) {
      const body = 'x'.repeat(i % 50 === 0 ? 5000 : i);
      const req = parseMessage(
        bytes(
          REQUEST.replace(
            'Content-Length: 4\r\n\r\nabcd',
            `Content-Length: ${body.length}\r\n\r\n${body}`,
          ),
        ),
      ) as SipRequest;
      pushVia(req, `SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp${i}`);
      const out = serializeMessage(req);
      outs.push(out);
      expected.push(text(out));
    }
    // later outputs did not overwrite earlier ones
    outs.forEach((out, i) => expect(text(out)).toBe(expected[i]));
    expect(expected[7]).toContain('branch=z9hG4bKp7\r\n');
    expect(expected[7]).toMatch(/\r\n\r\nxxxxxxx$/);
  });
});
