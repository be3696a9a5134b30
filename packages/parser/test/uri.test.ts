/** URI grammar and comparison (RFC 3261 §19.1, §19.1.4). */
import { describe, expect, it } from 'vitest';
import { isSipUri, parseUri, serializeUri, SipParseError, uriEquals } from '../src/index.js';

const eq = (a: string, b: string): boolean => uriEquals(parseUri(a), parseUri(b));

describe('uriEquals: RFC 3261 §19.1.4 examples', () => {
  // "The URIs within each of the following sets are equivalent"
  it.each([
    ['sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;security=on'],
    ['sip:carol@chicago.com;newparam=5', 'sip:carol@chicago.com;security=on'],
    [
      'sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com',
      'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com',
    ],
    [
      'sip:alice@atlanta.com?subject=project%20x&priority=urgent',
      'sip:alice@atlanta.com?priority=urgent&subject=project%20x',
    ],
  ])('%s == %s', (a, b) => {
    expect(eq(a, b)).toBe(true);
    expect(eq(b, a)).toBe(true);
  });

  // "The URIs within each of the following sets are not equivalent"
  it.each([
    ['SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP'], // different usernames
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060'], // can resolve to different ports
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp'], // different transports
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:6000;transport=tcp'], // port and transport
    ['sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting'], // header component
    ['sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4'], // even though that's what it resolves to
    ['sip:carol@chicago.com;newparam=5', 'sip:carol@chicago.com;newparam=6'],
    ['sip:alice@atlanta.com', 'sips:alice@atlanta.com'],
    ['sip:alice:secret@atlanta.com', 'sip:alice@atlanta.com'],
    ['sip:atlanta.com;maddr=10.0.0.1', 'sip:atlanta.com'],
  ])('%s != %s', (a, b) => {
    expect(eq(a, b)).toBe(false);
    expect(eq(b, a)).toBe(false);
  });

  it('compares IPv6 references by address (RFC 5118)', () => {
    expect(eq('sip:[2001:db8::10]:5070', 'sip:[2001:DB8:0:0:0:0:0:10]:5070')).toBe(true);
    expect(eq('sip:[2001:db8::10]', 'sip:[2001:db8::11]')).toBe(false);
  });

  it('tel URIs ignore visual separators', () => {
    expect(eq('tel:+1-201-555-0123', 'tel:+12015550123')).toBe(true);
    expect(eq('tel:+12015550123', 'tel:+12015550124')).toBe(false);
  });
});

describe('parseUri', () => {
  it('sip URI components', () => {
    const u = parseUri(
      'sips:alice:pw@[2001:db8::1]:5061;transport=tls;lr;maddr=239.255.255.1?subject=hi&x=y',
    );
    expect(isSipUri(u) && u).toMatchObject({
      scheme: 'sips',
      user: 'alice',
      password: 'pw',
      host: '[2001:db8::1]',
      port: 5061,
      headers: 'subject=hi&x=y',
    });
    expect(isSipUri(u) && [...u.params]).toEqual([
      ['transport', 'tls'],
      ['lr', null],
      ['maddr', '239.255.255.1'],
    ]);
    expect(serializeUri(u)).toBe(
      'sips:alice:pw@[2001:db8::1]:5061;transport=tls;lr;maddr=239.255.255.1?subject=hi&x=y',
    );
  });

  it('tel and absolute URIs', () => {
    expect(parseUri('tel:+1-201-555-0123;phone-context=example.com')).toMatchObject({
      scheme: 'tel',
      number: '+1-201-555-0123',
    });
    expect(parseUri('urn:service:sos')).toEqual({ scheme: 'urn', opaque: 'service:sos' });
  });

  it.each([
    'sip:',
    'sip:alice@',
    'sip:alice@host:99999',
    'sip:alice@host:',
    'sip:al ice@host',
    'sip:alice@[2001:db8::1',
    'sip:alice@host;',
    'sip:alice@host;=x',
    'sip:%zz@host',
    'sip:alice@-host',
    '<sip:alice@host>',
    'nocolon',
    ':x',
  ])('rejects %j with SipParseError 400', (text) => {
    try {
      parseUri(text);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SipParseError);
      expect((e as SipParseError).status).toBe(400);
    }
  });

  it('over the length limit → 414', () => {
    try {
      parseUri(`sip:${'a'.repeat(100)}@h`, 50);
      expect.unreachable();
    } catch (e) {
      expect((e as SipParseError).status).toBe(414);
    }
  });
});
