/**
 * Property tests (fast-check): generated valid messages round-trip and re-parse
 * to the same fields; arbitrary and hostile bytes either parse or throw
 * SipParseError, never another error type, and each input takes bounded time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseAuth,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  popVia,
  pushVia,
  serializeMessage,
  SipParseError,
  SipRequest,
  splitList,
  validateRequest,
  type SipMessage,
} from '../src/index.js';
import { INVITE } from './messages.js';

const RUNS = 300;

/** Run f; only SipParseError may escape. Returns the elapsed milliseconds. */
function onlySipErrors(f: () => unknown): number {
  const t0 = performance.now();
  try {
    f();
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
  }
  return performance.now() - t0;
}

/** Touch every lazy accessor too: they may throw SipParseError, nothing else. */
function exercise(m: SipMessage): void {
  for (const read of [
    () => m.vias,
    () => m.from,
    () => m.to,
    () => m.routes,
    () => m.recordRoutes,
    () => m.topViaRaw,
    () => m.headers.entries(),
    () => (m instanceof SipRequest ? m.requestUri : null),
  ]) {
    onlySipErrors(read);
  }
  serializeMessage(m);
}

// ---- generators of valid messages -------------------------------------------------

const tokenChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~";
const token = fc
  .array(fc.constantFrom(...tokenChars), { minLength: 1, maxLength: 12 })
  .map((a) => a.join(''));
const alnum = fc
  .array(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), {
    minLength: 1,
    maxLength: 10,
  })
  .map((a) => a.join(''));
const hostname = fc.array(alnum, { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((t) => t.join('.'));
const ipv6 = fc.ipV6().map((a) => `[${a}]`);
const host = fc.oneof(hostname, ipv4, ipv6);
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
const userPart = fc
  .array(fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()&=+$,;?/"), {
    minLength: 1,
    maxLength: 12,
  })
  .map((a) => a.join(''));
const uriParams = fc
  .array(fc.tuple(alnum, fc.option(alnum, { nil: undefined })), { maxLength: 3 })
  .map((ps) => ps.map(([k, v]) => (v === undefined ? `;${k}` : `;${k}=${v}`)).join(''));
const sipUri = fc
  .record({
    scheme: fc.constantFrom('sip', 'sips'),
    user: fc.option(userPart, { nil: undefined }),
    host,
    port,
    params: uriParams,
  })
  .map(
    (u) =>
      `${u.scheme}:${u.user === undefined ? '' : `${u.user}@`}${u.host}${u.port === undefined ? '' : `:${u.port}`}${u.params}`,
  );
const method = fc.oneof(fc.constantFrom('INVITE', 'OPTIONS', 'BYE', 'REGISTER', 'MESSAGE'), token);
const displayName = fc.option(
  fc.oneof(
    fc.array(alnum, { minLength: 1, maxLength: 3 }).map((w) => w.join(' ')),
    // quoted display names from printable characters other than " and \
    fc
      .string({ maxLength: 12 })
      .map((s) => `"${[...s].filter((c) => c >= ' ' && c !== '"' && c !== '\\').join('')}"`),
  ),
  { nil: undefined },
);
const nameAddr = fc
  .tuple(displayName, sipUri, fc.option(alnum, { nil: undefined }))
  .map(
    ([dn, uri, tag]) =>
      `${dn === undefined ? '' : `${dn} `}<${uri}>${tag === undefined ? '' : `;tag=${tag}`}`,
  );
const via = fc
  .tuple(fc.constantFrom('UDP', 'TCP', 'TLS', 'WS', 'SCTP'), host, port, alnum)
  .map(([t, h, p, br]) => `SIP/2.0/${t} ${h}${p === undefined ? '' : `:${p}`};branch=z9hG4bK${br}`);
const extraHeader = fc.tuple(
  token.filter(
    (n) =>
      !/^(via|v|from|f|to|t|call-id|i|cseq|content-length|l|max-forwards|contact|m|route|record-route|date)$/i.test(
        n,
      ),
  ),
  fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, ' ').trim()),
);

const validRequest = fc
  .record({
    method,
    uri: sipUri,
    vias: fc.array(via, { minLength: 1, maxLength: 4 }),
    from: nameAddr,
    to: nameAddr,
    callId: fc
      .tuple(alnum, fc.option(hostname, { nil: undefined }))
      .map(([a, h]) => (h === undefined ? a : `${a}@${h}`)),
    seq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    maxForwards: fc.integer({ min: 0, max: 255 }),
    extra: fc.array(extraHeader, { maxLength: 6 }),
    body: fc.uint8Array({ maxLength: 300 }),
  })
  .map((r) => {
    const lines = [
      `${r.method} ${r.uri} SIP/2.0`,
      ...r.vias.map((v) => `Via: ${v}`),
      `From: ${r.from}`,
      `To: ${r.to}`,
      `Call-ID: ${r.callId}`,
      `CSeq: ${r.seq} ${r.method}`,
      `Max-Forwards: ${r.maxForwards}`,
      ...r.extra.map(([n, v]) => `${n}: ${v}`),
      `Content-Length: ${r.body.length}`,
    ];
    const bytes = Buffer.concat([
      Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'),
      Buffer.from(r.body),
    ]);
    return { r, bytes };
  });

describe('generated valid messages', () => {
  it('parse, round-trip byte for byte and re-parse to the same fields', () => {
    fc.assert(
      fc.property(validRequest, ({ r, bytes }) => {
        const m = parseMessage(bytes) as SipRequest;
        expect(serializeMessage(m).equals(bytes)).toBe(true);
        expect(m.method).toBe(r.method);
        expect(m.uri).toBe(r.uri);
        expect(m.cseq).toEqual({ seq: r.seq, method: r.method });
        expect(m.callId).toBe(r.callId);
        expect(m.maxForwards).toBe(r.maxForwards);
        expect(m.vias).toHaveLength(r.vias.length);
        expect(m.body.equals(Buffer.from(r.body))).toBe(true);
        void m.requestUri;
        void m.from;
        void m.to;
        // an edit, then a re-parse, sees the same fields plus the new Via
        pushVia(m, 'SIP/2.0/UDP proxy.example;branch=z9hG4bKfuzz');
        const again = parseMessage(serializeMessage(m)) as SipRequest;
        expect(again.vias).toHaveLength(r.vias.length + 1);
        expect(again.topVia?.host).toBe('proxy.example');
        expect(popVia(again)).toBe('SIP/2.0/UDP proxy.example;branch=z9hG4bKfuzz');
        expect(serializeMessage(again).equals(bytes)).toBe(true);
        expect(again.from).toEqual(m.from);
      }),
      { numRuns: RUNS },
    );
  });

  it('Via, name-addr and URI parsers accept what the generators make', () => {
    fc.assert(
      fc.property(via, nameAddr, sipUri, (v, na, u) => {
        expect(parseVia(v).params.get('branch')).toMatch(/^z9hG4bK/);
        expect(parseNameAddr(na).uri.scheme).toMatch(/^sips?$/);
        expect(parseUri(u).scheme).toMatch(/^sips?$/);
      }),
      { numRuns: RUNS },
    );
  });
});

// ---- hostile input ---------------------------------------------------------------

const BOUND_MS = 50;

/**
 * Best of three runs: the bound is about the algorithm (no super-linear
 * paths), not about the JIT compiling a function on its first call or about
 * another process taking the core for a moment.
 */
function bestOf3(f: () => unknown): number {
  return Math.min(onlySipErrors(f), onlySipErrors(f), onlySipErrors(f));
}

/** A bodyless request with `header` spliced in. */
function requestWith(header: string): Buffer {
  return Buffer.from(
    INVITE.replace('Content-Type: application/sdp', header)
      .replace(/Content-Length: \d+/, 'Content-Length: 0')
      .replace(/\r\n\r\n[\s\S]*$/, '\r\n\r\n'),
    'latin1',
  );
}

describe('hostile input: only SipParseError, bounded time', () => {
  it('arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const ms = onlySipErrors(() => exercise(parseMessage(Buffer.from(bytes))));
        expect(ms).toBeLessThan(BOUND_MS);
      }),
      { numRuns: RUNS },
    );
  });

  it('mutations of a valid INVITE (byte flips, insertions of SIP punctuation)', () => {
    const base = Buffer.from(INVITE, 'latin1');
    const punct = fc.constantFrom(...'<>";,:@[]\\ \t\r\n=%?'.split('').map((c) => c.charCodeAt(0)));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.oneof(punct, fc.nat(255))), {
          minLength: 1,
          maxLength: 8,
        }),
        (edits) => {
          const b = Buffer.from(base);
          for (const [at, byte] of edits) b[at] = byte;
          expect(onlySipErrors(() => exercise(parseMessage(b)))).toBeLessThan(BOUND_MS);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('a request validateRequest accepts builds its From and To (mutations of the From and To lines)', () => {
    // validateRequest builds To but leaves From to whoever reads it: its
    // grammar check has to be what stands between a bad From and a reader
    const base = Buffer.from(INVITE, 'latin1');
    const text = INVITE;
    const fromAt = text.indexOf('\r\nFrom:') + 2;
    const toAt = text.indexOf('\r\nTo:') + 2;
    const lineOf = (at: number): [number, number] => [at, text.indexOf('\r\n', at)];
    const lines = [lineOf(fromAt), lineOf(toAt)];
    const punct = fc.constantFrom(...'<>";,:@[]\\ \t=%?'.split('').map((c) => c.charCodeAt(0)));
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.nat(1), fc.nat(200), fc.oneof(punct, fc.nat(255), fc.constant(0x41))),
          { minLength: 1, maxLength: 4 },
        ),
        (edits) => {
          const b = Buffer.from(base);
          for (const [which, off, byte] of edits) {
            const [start, end] = lines[which]!;
            // keep the header name and colon: mutate the value only
            const from = start + (which === 0 ? 6 : 4);
            b[from + (off % (end - from))] = byte;
          }
          let req: SipRequest;
          try {
            const m = parseMessage(b);
            if (!(m instanceof SipRequest)) return;
            req = m;
          } catch {
            return;
          }
          if (validateRequest(req) !== null) return;
          accepted++;
          expect(() => [req.from, req.to, req.fromTag, req.toTag]).not.toThrow();
        },
      ),
      { numRuns: RUNS * 3 },
    );
    // the property is only worth something if some mutants got through
    expect(accepted).toBeGreaterThan(0);
  });

  const hostile: [string, () => Buffer][] = [
    [
      '64 KiB of garbage',
      () => Buffer.from(Array.from({ length: 65_535 }, (_, i) => (i * 7919) % 256)),
    ],
    [
      '64 KiB of printable garbage',
      () => Buffer.from('a: b;c=<d,"e\\'.repeat(6553).slice(0, 65_000), 'latin1'),
    ],
    ['deeply nested quotes', () => requestWith(`Subject: ${'"\\"'.repeat(20_000)}`)],
    [
      'nested quotes in a To',
      () => Buffer.from(INVITE.replace('To: Bob', `To: ${'"\\'.repeat(2000)}Bob`), 'latin1'),
    ],
    [
      '10k headers',
      () => Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\n${'X-A: b\r\n'.repeat(10_000)}\r\n`, 'latin1'),
    ],
    ['long run of commas in a Via', () => requestWith(`Via: ${','.repeat(30_000)}`)],
    [
      'long run of semicolons in a Contact',
      () => requestWith(`Contact: <sip:a@b>${';'.repeat(30_000)}`),
    ],
    [
      'long run of angle brackets in a Route',
      () => requestWith(`Route: ${'<'.repeat(15_000)}${'>'.repeat(15_000)}`),
    ],
    [
      'many list elements in a Route',
      () => requestWith(`Route: ${'<sip:a@b;lr>,'.repeat(4000)}<sip:a@b>`),
    ],
    ['many params in a Via', () => requestWith(`Via: SIP/2.0/UDP h${';a=b'.repeat(2000)}`)],
    [
      'huge numbers',
      () => Buffer.from(INVITE.replace('CSeq: 314159', `CSeq: ${'9'.repeat(5000)}`), 'latin1'),
    ],
    [
      'huge Content-Length',
      () =>
        Buffer.from(
          INVITE.replace(/Content-Length: \d+/, `Content-Length: ${'9'.repeat(400)}`),
          'latin1',
        ),
    ],
    ['huge status code', () => Buffer.from(`SIP/2.0 ${'4'.repeat(8000)} x\r\n\r\n`, 'latin1')],
    ['endless folding', () => requestWith(`Subject: a${'\r\n b'.repeat(2000)}`)],
    [
      'long Request-URI',
      () =>
        Buffer.from(INVITE.replace('sip:bob@biloxi', `sip:${'b'.repeat(30_000)}@biloxi`), 'latin1'),
    ],
    [
      'long IPv6 reference',
      () =>
        Buffer.from(
          INVITE.replace('sip:bob@biloxi.example.com', `sip:bob@[${':'.repeat(20_000)}]`),
          'latin1',
        ),
    ],
    ['only CRLFs', () => Buffer.from('\r\n'.repeat(30_000), 'latin1')],
    [
      'no header end',
      () => Buffer.from(`INVITE sip:a@b SIP/2.0\r\n${'X: y\r\n'.repeat(8000)}`, 'latin1'),
    ],
  ];
  for (const [name, make] of hostile) {
    it(name, () => {
      const input = make();
      const big = { maxMessageSize: 1 << 20, maxHeaders: 20_000, maxHeaderLineLength: 1 << 20 };
      expect(bestOf3(() => exercise(parseMessage(input, { limits: big })))).toBeLessThan(BOUND_MS);
      // and with the default limits
      expect(bestOf3(() => exercise(parseMessage(input)))).toBeLessThan(BOUND_MS);
    });
  }
});

describe('grammar fuzz: structured parsers throw only SipParseError, in bounded time', () => {
  const alphabet = fc.constantFrom(...'sip:@[]<>";,=?&%\\ \t/.abAB09+-'.split(''));
  const text = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.array(alphabet, { maxLength: 300 }).map((a) => a.join('')),
  );
  const parsers: [string, (s: string) => unknown][] = [
    ['parseUri', parseUri],
    ['parseNameAddr', (s) => parseNameAddr(s)],
    ['parseVia', parseVia],
    ['parseAuth', parseAuth],
    ['splitList', splitList],
  ];
  for (const [name, parse] of parsers) {
    it(name, () => {
      fc.assert(
        fc.property(text, (s) => {
          expect(onlySipErrors(() => parse(s))).toBeLessThan(BOUND_MS);
        }),
        { numRuns: RUNS },
      );
      for (const big of [
        'sip:' + 'a'.repeat(50_000),
        '"'.repeat(50_000),
        '<'.repeat(50_000),
        ';'.repeat(50_000),
        ','.repeat(50_000),
        'Digest ' + 'a=b,'.repeat(10_000),
        'SIP/2.0/UDP h' + ';x'.repeat(10_000),
        '%'.repeat(50_000),
        '[' + ':'.repeat(50_000),
      ]) {
        expect(bestOf3(() => parse(big))).toBeLessThan(BOUND_MS);
      }
    });
  }
});
