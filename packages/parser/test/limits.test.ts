/** Configurable limits: each one → SipParseError with its status, nothing else. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, parseMessage, SipParseError, type ParserLimits } from '../src/index.js';
import { INVITE, RINGING } from './messages.js';

function errorOf(text: string, limits?: Partial<ParserLimits>): SipParseError {
  try {
    parseMessage(Buffer.from(text, 'latin1'), limits === undefined ? undefined : { limits });
  } catch (e) {
    if (e instanceof SipParseError) return e;
    throw e;
  }
  throw new Error('parsed');
}

describe('limits', () => {
  it('defaults', () => {
    expect(DEFAULT_LIMITS).toEqual({
      maxMessageSize: 65_535,
      maxHeaders: 256,
      maxHeaderLineLength: 8_192,
      maxUriLength: 4_096,
      maxVia: 64,
    });
  });

  it('message size → 413', () => {
    expect(errorOf(INVITE, { maxMessageSize: 500 })).toMatchObject({
      code: 'MESSAGE_TOO_LARGE',
      status: 413,
    });
    const huge = INVITE.replace(
      'User-Agent: ExamplePhone/1.2.3',
      `User-Agent: ${'x'.repeat(70_000)}`,
    );
    expect(errorOf(huge).status).toBe(413);
  });

  it('header count → 400', () => {
    const text = INVITE.replace('User-Agent:', `${'X-A: 1\r\n'.repeat(300)}User-Agent:`);
    expect(errorOf(text)).toMatchObject({ code: 'TOO_MANY_HEADERS', status: 400 });
    expect(errorOf(INVITE, { maxHeaders: 5 }).code).toBe('TOO_MANY_HEADERS');
  });

  it('header line length → 400, folded continuations included', () => {
    expect(errorOf(INVITE, { maxHeaderLineLength: 50 })).toMatchObject({
      code: 'HEADER_TOO_LONG',
      status: 400,
    });
    const folded = INVITE.replace(
      'User-Agent: ExamplePhone/1.2.3',
      `Subject: a${'\r\n bbbbbbbbbb'.repeat(20)}`,
    );
    expect(errorOf(folded, { maxHeaderLineLength: 150 }).code).toBe('HEADER_TOO_LONG');
  });

  it('URI length → 414 for the Request-URI, and inside headers', () => {
    expect(errorOf(INVITE, { maxUriLength: 20 })).toMatchObject({
      code: 'URI_TOO_LONG',
      status: 414,
    });
    const longTo = INVITE.replace('To: Bob <sip:bob@', `To: Bob <sip:${'b'.repeat(100)}@`);
    expect(errorOf(longTo, { maxUriLength: 60 }).code).toBe('URI_TOO_LONG');
  });

  it('Via count → 400, counting comma-separated values', () => {
    const via = 'Via: SIP/2.0/UDP h.example;branch=z9hG4bKx\r\n';
    expect(errorOf(INVITE.replace('Max-Forwards', `${via.repeat(70)}Max-Forwards`))).toMatchObject({
      code: 'TOO_MANY_VIA',
      status: 400,
    });
    const list = `Via: ${Array.from({ length: 5 }, () => 'SIP/2.0/UDP h;branch=z9hG4bKy').join(', ')}\r\n`;
    expect(errorOf(INVITE.replace('Max-Forwards', `${list}Max-Forwards`), { maxVia: 5 }).code).toBe(
      'TOO_MANY_VIA',
    );
  });

  it('a response over a limit is dropped (status undefined)', () => {
    expect(errorOf(RINGING, { maxHeaders: 3 }).status).toBeUndefined();
  });
});
