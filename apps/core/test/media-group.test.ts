import { describe, expect, it } from 'vitest';
import { MediaGroup } from '../src/media/media-group.js';

const targets = [
  { uri: 'sip:10.0.0.1:5060', weight: 1 },
  { uri: 'sip:10.0.0.2:5060', weight: 3 },
  { uri: 'sip:10.0.0.3:5060', weight: 1 },
];
const group = (
  algorithm: 'hash-callid' | 'round-robin' | 'weighted' | 'least-active',
  random?: () => number,
): MediaGroup =>
  new MediaGroup(
    'media',
    {
      algorithm,
      targets,
      probe: { enabled: true, intervalMs: 1000, timeoutMs: 500, downAfter: 2, upAfter: 2 },
      failoverOn: [503, 408],
    },
    random,
  );

describe('MediaGroup', () => {
  it('hash-callid: same call, same server; a down server moves only its own calls', () => {
    const g = group('hash-callid');
    const ids = Array.from({ length: 300 }, (_, i) => `call-${i}`);
    const before = new Map(ids.map((id) => [id, g.order(id)[0]!.uri]));
    expect(new Set(before.values()).size).toBe(3);
    g.setUp('sip:10.0.0.2:5060', false);
    for (const id of ids) {
      const now = g.order(id)[0]!.uri;
      if (before.get(id) !== 'sip:10.0.0.2:5060') expect(now).toBe(before.get(id));
      else expect(now).not.toBe('sip:10.0.0.2:5060');
    }
  });

  it('gives the failover order: the choice first, then every other live server', () => {
    const g = group('round-robin');
    expect(g.order('a').map((t) => t.uri)).toEqual([
      'sip:10.0.0.1:5060',
      'sip:10.0.0.2:5060',
      'sip:10.0.0.3:5060',
    ]);
    expect(g.order('b')[0]!.uri).toBe('sip:10.0.0.2:5060');
    g.setUp('sip:10.0.0.1:5060', false);
    g.setUp('sip:10.0.0.2:5060', false);
    g.setUp('sip:10.0.0.3:5060', false);
    expect(g.order('c')).toEqual([]);
  });

  it('weighted follows the weights; least-active picks the idlest', () => {
    let r = 0;
    const g = group('weighted', () => (r = (r + 0.1) % 1));
    const counts = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const u = g.order(`x${i}`)[0]!.uri;
      counts.set(u, (counts.get(u) ?? 0) + 1);
    }
    expect(counts.get('sip:10.0.0.2:5060')! / 1000).toBeCloseTo(0.6, 1);
    const la = group('least-active');
    la.callStarted('sip:10.0.0.1:5060');
    la.callStarted('sip:10.0.0.2:5060');
    expect(la.order('y')[0]!.uri).toBe('sip:10.0.0.3:5060');
    expect(la.isFailover(503)).toBe(true);
    expect(la.isFailover(486)).toBe(false);
  });
});
