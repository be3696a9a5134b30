/** StreamFramer (RFC 3261 §18.3 framing, RFC 5626 §3.5.1 keep-alives). */
import { describe, expect, it } from 'vitest';
import type { SipParseError } from '../src/index.js';
import { parseMessage, StreamFramer, type StreamFramerOptions } from '../src/index.js';
import { INVITE, REGISTER } from './messages.js';

interface Seen {
  messages: Buffer[];
  keepAlives: ('ping' | 'pong')[];
  errors: [SipParseError, Buffer | null][];
}

function framer(options?: StreamFramerOptions): { f: StreamFramer; seen: Seen } {
  const seen: Seen = { messages: [], keepAlives: [], errors: [] };
  const f = new StreamFramer(
    {
      onMessage: (m) => seen.messages.push(m),
      onKeepAlive: (k) => seen.keepAlives.push(k),
      onError: (e, head) => seen.errors.push([e, head]),
    },
    options,
  );
  return { f, seen };
}

const withBody = Buffer.from(INVITE, 'latin1');
const without = Buffer.from(REGISTER, 'latin1');
const stream = Buffer.concat([withBody, without]);

describe('StreamFramer', () => {
  it('every split point of a two-message stream yields exactly the two messages', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const { f, seen } = framer();
      f.push(stream.subarray(0, cut));
      f.push(stream.subarray(cut));
      expect(seen.errors).toEqual([]);
      expect(seen.messages).toHaveLength(2);
      expect(seen.messages[0]!.equals(withBody)).toBe(true);
      expect(seen.messages[1]!.equals(without)).toBe(true);
      expect(f.buffered).toBe(0);
    }
  });

  it('every pair of split points (three chunks) too', () => {
    const step = 7;
    for (let a = 0; a <= stream.length; a += step) {
      for (let b = a; b <= stream.length; b += step) {
        const { f, seen } = framer();
        f.push(stream.subarray(0, a));
        f.push(stream.subarray(a, b));
        f.push(stream.subarray(b));
        expect(seen.messages.map((m) => m.length)).toEqual([withBody.length, without.length]);
      }
    }
  });

  it('byte-by-byte pushes', () => {
    const { f, seen } = framer();
    for (const byte of stream) f.push(Uint8Array.of(byte));
    expect(seen.messages.map((m) => m.toString('latin1'))).toEqual([INVITE, REGISTER]);
  });

  it('a coalesced pipeline of many messages in one chunk', () => {
    const { f, seen } = framer();
    f.push(Buffer.concat(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? withBody : without))));
    expect(seen.messages).toHaveLength(50);
    for (const m of seen.messages)
      expect(() => parseMessage(m, { framing: 'stream' })).not.toThrow();
  });

  it('reports RFC 5626 keep-alives: CRLFCRLF is a ping, a lone CRLF a pong', () => {
    const { f, seen } = framer();
    f.push(Buffer.from('\r\n\r\n'));
    f.push(Buffer.from('\r\n'));
    f.push(Buffer.concat([Buffer.from('\r\n\r\n'), withBody, Buffer.from('\r\n')]));
    expect(seen.keepAlives).toEqual(['ping', 'pong', 'ping', 'pong']);
    expect(seen.messages).toHaveLength(1);
  });

  it('a ping split across chunks is still one ping', () => {
    const { f, seen } = framer();
    f.push(Buffer.from('\r'));
    f.push(Buffer.from('\n\r'));
    f.push(Buffer.from('\n'));
    expect(seen.keepAlives).toEqual(['ping']);
  });

  it('missing Content-Length on a stream → onError 400 with the head, then closed', () => {
    const { f, seen } = framer();
    const head = REGISTER.replace('Content-Length: 0\r\n', '');
    f.push(Buffer.from(head, 'latin1'));
    expect(seen.errors).toHaveLength(1);
    const [err, gotHead] = seen.errors[0]!;
    expect(err.status).toBe(400);
    expect(err.code).toBe('MISSING_CONTENT_LENGTH');
    expect(gotHead?.toString('latin1')).toBe(head.slice(0, -2));
    expect(f.closed).toBe(true);
    f.push(withBody);
    expect(seen.messages).toHaveLength(0);
  });

  it('conflicting Content-Length values cannot be framed (RFC 4475 §3.3.9)', () => {
    const { f, seen } = framer();
    f.push(
      Buffer.from(REGISTER.replace('Content-Length: 0', 'Content-Length: 0\r\nl: 5'), 'latin1'),
    );
    expect(seen.errors[0]?.[0].code).toBe('BAD_CONTENT_LENGTH');
  });

  it('a message over the limit → 413; headers that never end → 413, buffer bounded', () => {
    const big = framer({ maxMessageSize: 500 });
    big.f.push(withBody);
    expect(big.seen.errors[0]?.[0].status).toBe(413);
    expect(big.seen.errors[0]?.[1]).not.toBeNull();

    const endless = framer({ maxMessageSize: 4096 });
    for (let i = 0; i < 1000 && !endless.f.closed; i++) {
      endless.f.push(Buffer.from('X-Header: some value\r\n'));
      expect(endless.f.buffered).toBeLessThanOrEqual(4096 + 64);
    }
    expect(endless.seen.errors[0]?.[0].status).toBe(413);
    expect(endless.f.buffered).toBe(0);
  });

  it('a body announced larger than the limit fails as soon as the head is read', () => {
    const { f, seen } = framer({ maxMessageSize: 1000 });
    f.push(Buffer.from(REGISTER.replace('Content-Length: 0', 'Content-Length: 100000'), 'latin1'));
    expect(seen.errors[0]?.[0].status).toBe(413);
  });
});
