/** serializeMessage(parseMessage(x)) is x; edits change only the lines they touch. */
import { describe, expect, it } from 'vitest';
import {
  parseMessage,
  popRoute,
  popVia,
  pushRecordRoute,
  pushVia,
  serializeMessage,
} from '../src/index.js';
import { FIXTURES, fixtureBytes, nameOf } from './fixtures.js';
import { INVITE, OK_WITH_RR, REGISTER, RINGING } from './messages.js';

/** Lines of the header section (no start line, no body), as a multiset. */
function headerLines(bytes: Buffer): string[] {
  const text = bytes.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  return text
    .slice(0, end)
    .split(/\r\n(?![ \t])/)
    .slice(1);
}

function diff(before: string[], after: string[]): { removed: string[]; added: string[] } {
  const left = [...after];
  const removed: string[] = [];
  for (const line of before) {
    const i = left.indexOf(line);
    if (i >= 0) left.splice(i, 1);
    else removed.push(line);
  }
  return { removed, added: left };
}

const valid = FIXTURES.filter((f) => f.expect !== 'invalid-syntax' && nameOf(f) !== 'dblreq');

describe('round trip', () => {
  it.each(valid.map((f) => [nameOf(f), f.file]))('%s is byte-identical', (_name, file) => {
    const bytes = fixtureBytes(file);
    expect(serializeMessage(parseMessage(bytes)).equals(bytes)).toBe(true);
  });

  it.each(valid.map((f) => [nameOf(f), f.file]))(
    '%s: Via push changes one line; popping it restores the bytes',
    (_name, file) => {
      const bytes = fixtureBytes(file);
      const m = parseMessage(bytes);
      const via = 'SIP/2.0/UDP proxy.strata.example;branch=z9hG4bKrt1';
      pushVia(m, via);
      const pushed = serializeMessage(m);
      expect(diff(headerLines(bytes), headerLines(pushed))).toEqual({
        removed: [],
        added: [`Via: ${via}`],
      });
      // the body is untouched
      expect(pushed.subarray(pushed.length - m.body.length).equals(m.body)).toBe(true);
      const again = parseMessage(pushed);
      expect(popVia(again)).toBe(via);
      expect(serializeMessage(again).equals(bytes)).toBe(true);
    },
  );

  it('popping the top of a multi-value Via rewrites that line only', () => {
    const wsinv = FIXTURES.find((f) => nameOf(f) === 'wsinv')!;
    const bytes = fixtureBytes(wsinv.file);
    const m = parseMessage(bytes);
    // the compact "v:" line holds two values; the top Via is on the "Via  :" line
    popVia(m);
    popVia(m);
    const d = diff(headerLines(bytes), headerLines(serializeMessage(m)));
    expect(d.removed).toHaveLength(2);
    expect(d.added).toEqual(['v: SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239']);
  });

  it('Record-Route push and Route pop on the benchmark messages', () => {
    for (const text of [INVITE, RINGING, OK_WITH_RR, REGISTER]) {
      const bytes = Buffer.from(text, 'latin1');
      const m = parseMessage(bytes);
      pushRecordRoute(m, '<sip:edge.strata.example;lr>');
      const hadRoute = m.hasRoute;
      const popped = popRoute(m);
      const d = diff(headerLines(bytes), headerLines(serializeMessage(m)));
      expect(d.added).toEqual(['Record-Route: <sip:edge.strata.example;lr>']);
      expect(d.removed).toEqual(hadRoute ? [`Route: ${popped}`] : []);
    }
  });

  /** What the serialiser wrote before it copied source slices: one latin1 string. */
  function asText(m: ReturnType<typeof parseMessage>): Buffer {
    const head = `${m.startLine}\r\n${m.headers.serialize()}\r\n`;
    return Buffer.concat([Buffer.from(head, 'latin1'), m.body]);
  }

  const edits: [string, (m: ReturnType<typeof parseMessage>) => void][] = [
    ['push Via', (m) => pushVia(m, 'SIP/2.0/UDP e.example;branch=z9hG4bKx')],
    ['pop Via', (m) => void popVia(m)],
    [
      'pop Via, push two',
      (m) => {
        popVia(m);
        pushVia(m, 'SIP/2.0/UDP a.example;branch=z9hG4bKa');
        pushVia(m, 'SIP/2.0/TCP b.example;branch=z9hG4bKb');
      },
    ],
    [
      'set Call-ID, append, remove Contact',
      (m) => {
        m.headers.set('i', 'new-call-id');
        m.headers.append('X-New', 'v');
        m.headers.remove('contact');
      },
    ],
    [
      'pop Route, push Record-Route',
      (m) => {
        popRoute(m);
        pushRecordRoute(m, '<sip:rr.example;lr>');
      },
    ],
    [
      'remove every header',
      (m) => {
        for (const [name] of m.headers.entries()) m.headers.remove(name);
      },
    ],
  ];
  const sources = [
    ...valid.map((f): [string, Buffer] => [nameOf(f), fixtureBytes(f.file)]),
    ...[INVITE, RINGING, OK_WITH_RR, REGISTER].map((t, i): [string, Buffer] => [
      `message ${i}`,
      Buffer.from(t, 'latin1'),
    ]),
  ];
  it.each(edits.map(([label]) => [label]))(
    'after "%s", the byte copy equals the text serialisation (every fixture)',
    (label) => {
      const edit = edits.find(([l]) => l === label)![1];
      for (const [name, bytes] of sources) {
        const m = parseMessage(bytes);
        edit(m);
        expect(serializeMessage(m).toString('latin1'), name).toBe(asText(m).toString('latin1'));
      }
    },
  );
});
