import { describe, expect, it } from 'vitest';
import { selectBestResponse, upstreamStatus } from '../src/proxy/best-response.js';
import { groupByQ } from '../src/proxy/forward.js';

describe('best response (§16.7 item 6)', () => {
  const best = (s: number[]) => s[selectBestResponse(s)];
  it('6xx beats everything, then the lowest class', () => {
    expect(best([486, 200, 603])).toBe(603);
    expect(best([486, 302, 500])).toBe(302);
    expect(best([500, 486])).toBe(486);
  });
  it('prefers 401/407/415/420/484 within 4xx; 408 and 503 lose within their class', () => {
    expect(best([486, 404, 407])).toBe(407);
    expect(best([408, 404])).toBe(404);
    expect(best([503, 502])).toBe(502);
    expect(best([486, 404, 503])).toBe(486);
  });
  it('empty → -1; a lone 503 becomes 500 upstream', () => {
    expect(selectBestResponse([])).toBe(-1);
    expect(upstreamStatus(503)).toBe(500);
    expect(upstreamStatus(486)).toBe(486);
  });
});

describe('target groups (§16.6, sequential by q)', () => {
  it('orders by descending q, equal q in one parallel group, stable', () => {
    const d = { transport: 'udp' as const, address: 'x', port: 1 };
    const groups = groupByQ([
      { uri: 'a', destination: d, q: 0.5 },
      { uri: 'b', destination: d },
      { uri: 'c', destination: d, q: 0.5 },
      { uri: 'e', destination: d, q: 1 },
    ]);
    expect(groups.map((g) => g.map((t) => t.uri))).toEqual([
      ['b', 'e'],
      ['a', 'c'],
    ]);
  });
});
