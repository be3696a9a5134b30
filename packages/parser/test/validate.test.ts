/** validateRequest: one test per RFC 3261 §8.2 / §16.3 rule. */
import { describe, expect, it } from 'vitest';
import type { SipRequest } from '../src/index.js';
import {
  createResponse,
  parseMessage,
  serializeMessage,
  validateRequest,
  type ValidateOptions,
} from '../src/index.js';
import { INVITE } from './messages.js';

const OPTIONS = [
  'OPTIONS sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKopt',
  'Max-Forwards: 70',
  'To: <sip:bob@biloxi.example.com>',
  'From: <sip:alice@atlanta.example.com>;tag=1',
  'Call-ID: opt1@pc33',
  'CSeq: 1 OPTIONS',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

function req(text: string): SipRequest {
  return parseMessage(Buffer.from(text, 'latin1')) as SipRequest;
}
function status(text: string, options?: ValidateOptions): number | null {
  return validateRequest(req(text), options)?.status ?? null;
}

describe('validateRequest', () => {
  it('accepts a well-formed request', () => {
    expect(validateRequest(req(INVITE))).toBeNull();
    expect(validateRequest(req(OPTIONS))).toBeNull();
  });

  it.each(['Via', 'From', 'To', 'Call-ID', 'CSeq'])('400 when %s is missing (§8.1.1)', (name) => {
    const text = OPTIONS.replace(new RegExp(`^${name}: .*\\r\\n`, 'm'), '');
    expect(validateRequest(req(text))).toMatchObject({ status: 400, code: 'MISSING_HEADER' });
  });

  it('400 for a Contact "*" outside REGISTER or among other values, and for a q that is no qvalue', () => {
    const contact = (value: string, text = INVITE): string =>
      text.replace(/^Contact: .*$/m, `Contact: ${value}`);
    expect(INVITE).toMatch(/^Contact: /m);
    expect(status(contact('*'))).toBe(400);
    expect(status(contact('<sip:a@192.0.2.1>;q=2.5'))).toBe(400);
    expect(status(contact('<sip:a@192.0.2.1;q=1>;Q = 1.5'))).toBe(400);
    expect(status(contact('<sip:a@192.0.2.1>;q=0.5, <sip:b@192.0.2.2>;q=1.000'))).toBeNull();
    expect(status(contact('"q=9" <sip:a@192.0.2.1>;expires=60'))).toBeNull();
    const register = INVITE.replace(/INVITE/g, 'REGISTER');
    expect(status(contact('*', register))).toBeNull();
    expect(status(contact('*, <sip:a@192.0.2.1>', register))).toBe(400);
  });

  it('400 when a single-valued header appears twice (RFC 4475 §3.3.8)', () => {
    expect(status(OPTIONS.replace('Call-ID: opt1@pc33', 'Call-ID: a\r\nCall-ID: b'))).toBe(400);
    expect(
      status(OPTIONS.replace('Max-Forwards: 70', 'Max-Forwards: 70\r\nMax-Forwards: 69')),
    ).toBe(400);
  });

  it('counts mandatory headers on the current lines after edits (pushed, appended, removed)', () => {
    const edited = (edit: (r: SipRequest) => void): string | null => {
      const r = req(OPTIONS);
      r.headers.prepend('Via', 'SIP/2.0/UDP proxy.example;branch=z9hG4bKp');
      edit(r);
      return validateRequest(r)?.code ?? null;
    };
    expect(edited(() => undefined)).toBeNull();
    expect(edited((r) => r.headers.remove('From'))).toBe('MISSING_HEADER');
    expect(edited((r) => r.headers.append('Call-ID', 'second@x'))).toBe('DUPLICATE_HEADER');
    expect(edited((r) => r.headers.prepend('Max-Forwards', '10'))).toBe('DUPLICATE_HEADER');
    expect(edited((r) => r.headers.set('To', '<sip:carol@example.com>'))).toBeNull();
    // the top Via popped, the original one left
    expect(edited((r) => r.headers.removeFirstValue('Via'))).toBeNull();
    expect(
      edited((r) => {
        r.headers.remove('Via');
      }),
    ).toBe('MISSING_HEADER');
  });

  it('400 when the CSeq method differs from a known request method (§8.1.1.5)', () => {
    expect(
      validateRequest(req(OPTIONS.replace('CSeq: 1 OPTIONS', 'CSeq: 1 INVITE'))),
    ).toMatchObject({
      status: 400,
      code: 'CSEQ_METHOD_MISMATCH',
    });
  });

  it('416 for a Request-URI scheme the proxy does not route (§8.2.2.1)', () => {
    expect(
      status(
        OPTIONS.replace(
          'OPTIONS sip:bob@biloxi.example.com',
          'OPTIONS mailto:bob@biloxi.example.com',
        ),
      ),
    ).toBe(416);
    expect(
      status(OPTIONS.replace('sip:bob@biloxi.example.com SIP', 'tel:+1555;x=y SIP')),
    ).toBeNull();
    expect(status(OPTIONS, { schemes: ['sips'] })).toBe(416);
  });

  it('483 when Max-Forwards is 0; OPTIONS may be answered by the proxy itself (§16.3 item 3)', () => {
    const zero = OPTIONS.replace('Max-Forwards: 70', 'Max-Forwards: 0');
    expect(status(zero)).toBe(483);
    expect(status(zero, { answerOptions: true })).toBeNull();
    const invite = INVITE.replace('Max-Forwards: 70', 'Max-Forwards: 0');
    expect(status(invite, { answerOptions: true })).toBe(483);
    expect(status(invite, { role: 'uas' })).toBeNull();
  });

  it('400 for a datagram shorter than its Content-Length; a stream waits (§18.3)', () => {
    const truncated = INVITE.slice(0, -20);
    expect(validateRequest(req(truncated))).toMatchObject({ status: 400, code: 'BODY_TRUNCATED' });
    expect(status(truncated, { framing: 'stream' })).toBeNull();
  });

  it('420 with Unsupported for unknown Proxy-Require (proxy) or Require (UAS) tags', () => {
    const text = OPTIONS.replace(
      'Content-Length: 0',
      'Proxy-Require: foo, Bar\r\nRequire: baz\r\nContent-Length: 0',
    );
    expect(validateRequest(req(text))).toEqual({
      status: 420,
      code: 'BAD_EXTENSION',
      reason: 'Bad Extension',
      headers: [['Unsupported', 'foo, Bar']],
    });
    expect(status(text, { supported: ['FOO', 'bar'] })).toBeNull();
    expect(validateRequest(req(text), { role: 'uas' })?.headers).toEqual([['Unsupported', 'baz']]);
    // §8.2.2.3: Require is not checked on ACK and CANCEL
    const ack = text.replace(/OPTIONS/g, 'ACK');
    expect(status(ack, { role: 'uas' })).toBeNull();
  });

  it('the 420 turns into a response carrying Unsupported', () => {
    const r = req(OPTIONS.replace('Content-Length: 0', 'Proxy-Require: foo\r\nContent-Length: 0'));
    const failure = validateRequest(r)!;
    const res = createResponse(r, failure.status, failure.reason, { headers: failure.headers });
    expect(serializeMessage(res).toString()).toMatch(
      /^SIP\/2\.0 420 Bad Extension\r\n[\s\S]*Unsupported: foo\r\n/,
    );
  });
});
