import { describe, expect, it } from 'vitest';
import { CoreRing, type CoreNode } from '../src/ring.js';

const core = (id: string, weight = 1): CoreNode => ({
  id,
  transport: 'udp',
  address: '127.0.0.1',
  port: 5070,
  weight,
});
const ids = Array.from({ length: 10_000 }, (_, i) => `${i}-a84b4c76e66710@pc33.example.com`);
const opts = { vnodes: 40, rejoin: 'immediate' as const, rejoinGraceMs: 0 };

describe('CoreRing', () => {
  it('gives the same choice for the same config, spread over all cores', () => {
    const a = new CoreRing([core('c1'), core('c2'), core('c3')], opts);
    const b = new CoreRing([core('c1'), core('c2'), core('c3')], opts);
    const counts = new Map<string, number>();
    for (const id of ids) {
      const pa = a.pick(id)!.id;
      expect(b.pick(id)!.id).toBe(pa);
      counts.set(pa, (counts.get(pa) ?? 0) + 1);
    }
    for (const n of counts.values()) expect(n).toBeGreaterThan(2000);
  });

  it('adding a 4th core remaps at most 30% of Call-IDs', () => {
    const three = new CoreRing([core('c1'), core('c2'), core('c3')], opts);
    const four = new CoreRing([core('c1'), core('c2'), core('c3'), core('c4')], opts);
    let moved = 0;
    for (const id of ids) {
      const before = three.pick(id)!.id;
      const after = four.pick(id)!.id;
      if (before !== after) {
        moved++;
        expect(after).toBe('c4'); // keys only move to the new node
      }
    }
    expect(moved / ids.length).toBeLessThanOrEqual(0.3);
    expect(moved).toBeGreaterThan(0);
  });

  it('a down core moves only its own share, and back when it returns', () => {
    const ring = new CoreRing([core('c1'), core('c2'), core('c3')], opts);
    const before = new Map(ids.map((id) => [id, ring.pick(id)!.id]));
    ring.setUp('c2', false);
    for (const id of ids) {
      const now = ring.pick(id)!.id;
      if (before.get(id) === 'c2') expect(now).not.toBe('c2');
      else expect(now).toBe(before.get(id));
    }
    ring.setUp('c2', true);
    for (const id of ids) expect(ring.pick(id)!.id).toBe(before.get(id));
    ring.setUp('c1', false);
    ring.setUp('c2', false);
    ring.setUp('c3', false);
    expect(ring.pick('x')).toBeUndefined();
  });

  it('new-calls-only: a returning core gets initial requests, in-dialog ones stay on the survivor', () => {
    let now = 0;
    const ring = new CoreRing([core('c1'), core('c2')], {
      vnodes: 40,
      rejoin: 'new-calls-only',
      rejoinGraceMs: 1000,
      now: () => now,
    });
    const id = ids.find((i) => ring.owner(i) === 'c1')!;
    ring.setUp('c1', false);
    expect(ring.pick(id, true)!.id).toBe('c2');
    ring.setUp('c1', true);
    expect(ring.pick(id, false)!.id).toBe('c1');
    expect(ring.pick(id, true)!.id).toBe('c2');
    now = 1001;
    expect(ring.pick(id, true)!.id).toBe('c1');
  });

  it('weights skew the share', () => {
    const ring = new CoreRing([core('c1', 1), core('c2', 3)], opts);
    const heavy = ids.filter((id) => ring.pick(id)!.id === 'c2').length / ids.length;
    expect(heavy).toBeGreaterThan(0.6);
  });
});
