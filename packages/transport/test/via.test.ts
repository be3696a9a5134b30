import { describe, expect, it } from 'vitest';
import {
  parseMessage,
  parseVia,
  serializeMessage,
  SipParseError,
  type SipRequest,
} from '@strata/parser';
import { applyReceived } from '../src/via-received.js';
import { responseDestination } from '../src/response-destination.js';
import { errorResponseFor } from '../src/error-response.js';
import type { MessageSource } from '../src/types.js';
import { request } from './helpers.js';

function req(text: string): SipRequest {
  return parseMessage(Buffer.from(text)) as SipRequest;
}

function source(o: Partial<MessageSource> = {}): MessageSource {
  return {
    transport: 'udp',
    address: '192.0.2.7',
    port: 40000,
    localAddress: '127.0.0.1',
    localPort: 5060,
    connectionId: null,
    ...o,
  };
}

describe('applyReceived (RFC 3261 §18.2.1, RFC 3581 §4)', () => {
  it('leaves the message untouched when sent-by is the source address and no rport', () => {
    const r = req(request({ via: 'SIP/2.0/UDP 192.0.2.7:5060' }));
    applyReceived(r, '192.0.2.7', 40000);
    expect(r.headers.edited).toBe(false);
  });

  it('adds received when the host differs, and fills rport', () => {
    const r = req(request({ via: 'SIP/2.0/UDP 1.2.3.4:5060;rport' }));
    expect(applyReceived(r, '127.0.0.1', 40000)).toBe(true);
    const via = r.topVia!;
    expect(via.params.get('received')).toBe('127.0.0.1');
    expect(via.params.get('rport')).toBe('40000');
    expect(r.headers.get('via')).toMatch(
      /^SIP\/2\.0\/UDP 1\.2\.3\.4:5060;rport=40000;branch=[^;]+;received=127\.0\.0\.1$/,
    );
  });

  it('adds received for a domain sent-by', () => {
    const r = req(request({ via: 'SIP/2.0/UDP pc33.example.com' }));
    applyReceived(r, '192.0.2.7', 5060);
    expect(r.topVia!.params.get('received')).toBe('192.0.2.7');
  });

  it('adds received with rport even when the address matches (RFC 3581 §4)', () => {
    const r = req(request({ via: 'SIP/2.0/UDP 192.0.2.7;rport' }));
    applyReceived(r, '192.0.2.7', 1234);
    const via = r.topVia!;
    expect(via.params.get('received')).toBe('192.0.2.7');
    expect(via.params.get('rport')).toBe('1234');
  });

  it('compares IPv6 sent-by in canonical form', () => {
    const r = req(request({ via: 'SIP/2.0/UDP [0:0:0:0:0:0:0:1]:5060' }));
    applyReceived(r, '::1', 5060);
    expect(r.headers.edited).toBe(false);
  });

  it('rewrites only the top Via value: every other line keeps its bytes', () => {
    const text = request({
      via: 'SIP/2.0/UDP 1.2.3.4;rport',
      extra: [
        'v:  SIP/2.0/TCP  proxy.example.com ;branch=z9hG4bKold , SIP/2.0/UDP x.example.com',
        'X-Odd:   spaced   value',
      ],
    });
    const r = req(text);
    applyReceived(r, '10.0.0.1', 999);
    const out = serializeMessage(r).toString('latin1');
    expect(out).toContain(
      '\r\nv:  SIP/2.0/TCP  proxy.example.com ;branch=z9hG4bKold , SIP/2.0/UDP x.example.com\r\n',
    );
    expect(out).toContain('\r\nX-Odd:   spaced   value\r\n');
    expect(r.vias.map((v) => v.host)).toEqual(['1.2.3.4', 'proxy.example.com', 'x.example.com']);
  });

  it('replaces an existing received and keeps quoted parameters intact (grammar path)', () => {
    const r = req(request({ via: 'SIP/2.0/UDP 1.2.3.4;received=9.9.9.9;x="a;b";rport' }));
    applyReceived(r, '127.0.0.1', 7);
    const via = r.topVia!;
    expect(via.params.get('received')).toBe('127.0.0.1');
    expect(via.params.get('x')).toBe('"a;b"');
    expect(via.params.get('rport')).toBe('7');
  });

  it('returns false for a request without Via', () => {
    const text = request().replace(/^Via:.*\r\n/m, '');
    expect(applyReceived(req(text), '127.0.0.1', 1)).toBe(false);
  });

  it('throws the parser error for a malformed top Via (at parse time or here)', () => {
    expect(() => applyReceived(req(request({ via: 'garbage' })), '127.0.0.1', 1)).toThrow(
      SipParseError,
    );
  });
});

describe('responseDestination (RFC 3261 §18.2.2)', () => {
  it('reliable + connection: that connection, falling back to received and the sent-by port', () => {
    const via = parseVia('SIP/2.0/TCP pc.example.com:5070;branch=z9hG4bK1;received=192.0.2.7');
    expect(responseDestination(via, source({ transport: 'tcp', connectionId: 'tcp-1' }))).toEqual({
      transport: 'tcp',
      address: '192.0.2.7',
      port: 5070,
      connectionId: 'tcp-1',
    });
  });

  it('received + rport win (RFC 3581 §4)', () => {
    const via = parseVia('SIP/2.0/UDP 1.2.3.4:5060;rport=40000;received=127.0.0.1;maddr=239.1.1.1');
    expect(responseDestination(via)).toEqual({
      transport: 'udp',
      address: '127.0.0.1',
      port: 40000,
    });
  });

  it('received without rport uses the sent-by port', () => {
    const via = parseVia('SIP/2.0/UDP 1.2.3.4:5080;received=127.0.0.1');
    expect(responseDestination(via)).toEqual({
      transport: 'udp',
      address: '127.0.0.1',
      port: 5080,
    });
  });

  it('maddr, with the sent-by port or 5060', () => {
    expect(responseDestination(parseVia('SIP/2.0/UDP 1.2.3.4;maddr=239.1.1.1'))).toEqual({
      transport: 'udp',
      address: '239.1.1.1',
      port: 5060,
    });
  });

  it('sent-by with the default port of the transport', () => {
    expect(responseDestination(parseVia('SIP/2.0/TLS [2001:DB8::1]'))).toEqual({
      transport: 'tls',
      address: '2001:db8::1',
      port: 5061,
    });
    expect(responseDestination(parseVia('SIP/2.0/UDP 1.2.3.4'))).toMatchObject({ port: 5060 });
  });
});

describe('errorResponseFor', () => {
  const err = new SipParseError('BAD_CONTENT_LENGTH', 'bad', 400);

  it('builds a 400 with the request headers and received/rport, addressed to nobody else', () => {
    const bytes = Buffer.from(
      request({ via: 'SIP/2.0/UDP 1.2.3.4;rport', contentLength: false, extra: ['l: x'] }),
    );
    const out = errorResponseFor(bytes, err, '127.0.0.1', 4000)!.toString('latin1');
    expect(out).toMatch(/^SIP\/2\.0 400 Bad Request\r\n/);
    expect(out).toMatch(
      /Via: SIP\/2\.0\/UDP 1\.2\.3\.4;rport=4000;branch=[^;]+;received=127\.0\.0\.1\r\n/,
    );
    expect(out).toMatch(/To: <sip:bob@example\.com>;tag=\w+/);
    expect(out).toContain('Call-ID: ');
  });

  it('returns null for a response, an ACK, or missing headers', () => {
    expect(errorResponseFor(Buffer.from('SIP/2.0 200 OK\r\n\r\n'), err, '127.0.0.1', 1)).toBeNull();
    expect(
      errorResponseFor(Buffer.from(request({ method: 'ACK' })), err, '127.0.0.1', 1),
    ).toBeNull();
    expect(
      errorResponseFor(
        Buffer.from('OPTIONS sip:a SIP/2.0\r\nVia: SIP/2.0/UDP a\r\n\r\n'),
        err,
        '127.0.0.1',
        1,
      ),
    ).toBeNull();
    expect(
      errorResponseFor(
        Buffer.from(request()),
        new SipParseError('EMPTY_MESSAGE', 'x', null),
        '1.1.1.1',
        1,
      ),
    ).toBeNull();
  });
});
