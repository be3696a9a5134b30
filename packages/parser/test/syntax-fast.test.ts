import { describe, expect, it } from 'vitest';
import { fastAddress, fastRequestUri, fastVia } from '../src/syntax-fast.js';

const whole = (f: (s: string, a: number, e: number) => boolean, s: string): boolean =>
  f(s, 0, s.length);

describe('syntax fast paths', () => {
  it('accept every port length at the end of a value', () => {
    for (const port of ['5', '5060', '10000', '40000', '59999', '60000', '65535']) {
      expect(whole(fastVia, `SIP/2.0/UDP 192.0.2.1:${port}`)).toBe(true);
      expect(whole(fastVia, `SIP/2.0/UDP 192.0.2.1:${port};rport;branch=z9hG4bKa1`)).toBe(true);
      expect(whole(fastRequestUri, `sip:bob@192.0.2.1:${port}`)).toBe(true);
      expect(whole(fastAddress, `sip:bob@192.0.2.1:${port}`)).toBe(true);
    }
  });

  it('leave out-of-range ports to the exact scanner', () => {
    expect(whole(fastVia, 'SIP/2.0/UDP 192.0.2.1:65536')).toBe(false);
    expect(whole(fastVia, 'SIP/2.0/UDP 192.0.2.1:123456')).toBe(false);
    expect(whole(fastRequestUri, 'sip:bob@192.0.2.1:99999')).toBe(false);
  });
});
