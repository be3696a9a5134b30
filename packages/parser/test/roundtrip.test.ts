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
});
