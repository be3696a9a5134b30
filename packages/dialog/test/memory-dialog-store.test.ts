import { afterEach, describe, expect, it } from 'vitest';
import { MemoryDialogStore } from '../src/store/memory-dialog-store.js';
import type { DialogChange } from '../src/store/dialog-store.js';
import { bump, confirm, earlyDialog, FakeClock } from './support/fixtures.js';

const timings = { graceMs: 10_000, defaultLifetimeMs: 60_000, tombstoneMs: 5_000 };

describe('MemoryDialogStore', () => {
  const clock = new FakeClock();
  let store = new MemoryDialogStore({
    node: 'core-a',
    now: clock.now,
    timings,
    sweepIntervalMs: 0,
  });
  afterEach(async () => {
    await store.close();
    clock.t = 1_700_000_000_000;
    store = new MemoryDialogStore({ node: 'core-a', now: clock.now, timings, sweepIntervalMs: 0 });
  });

  it('stores versions and rejects stale or equal versions', async () => {
    const s1 = earlyDialog(1, clock.t);
    expect(await store.put(s1)).toEqual({ ok: true, version: 1 });
    const s2 = confirm(s1, clock.t);
    expect(await store.put(s2)).toEqual({ ok: true, version: 2 });
    expect(await store.put(s1)).toEqual({ ok: false, reason: 'stale', current: 2 });
    expect(await store.put({ ...s2, state: 'terminated' })).toEqual({
      ok: false,
      reason: 'stale',
      current: 2,
    });
    expect((await store.get(s1.id))?.state).toBe('confirmed');
  });

  it('keeps its own frozen copy', async () => {
    const s = earlyDialog(1, clock.t);
    await store.put(s);
    const got = await store.get(s.id);
    expect(got).toEqual(s);
    expect(got).not.toBe(s);
    expect(Object.isFrozen(got)).toBe(true);
  });

  it('delete leaves a tombstone that blocks a late stale write', async () => {
    const s2 = confirm(earlyDialog(1, clock.t), clock.t);
    await store.put(s2);
    expect(await store.delete(s2.id, 1)).toEqual({ ok: false, reason: 'stale', current: 2 });
    expect(await store.delete(s2.id, 3)).toEqual({ ok: true, version: 3 });
    expect(await store.get(s2.id)).toBeNull();
    expect(await store.put(bump(s2))).toEqual({ ok: false, reason: 'stale', current: 3 });
    expect(await store.findByCallId(s2.callId)).toEqual([]);
    clock.advance(timings.tombstoneMs);
    expect(await store.put(bump(s2))).toEqual({ ok: true, version: 3 });
  });

  it('finds forks by Call-ID and lists with filters', async () => {
    const a = earlyDialog(1, clock.t);
    const b = { ...a, id: `${a.callId}:${a.fromTag}:other`, toTag: 'other' };
    await store.put(a);
    await store.put(b);
    await store.put(confirm(earlyDialog(2, clock.t, 'core-b'), clock.t));
    expect((await store.findByCallId(a.callId)).map((s) => s.toTag).sort()).toEqual([
      'other',
      'tt1',
    ]);
    expect(await store.list({ ownerNode: 'core-b' })).toHaveLength(1);
    expect(await store.list({ state: 'early' })).toHaveLength(2);
    expect(await store.list()).toHaveLength(3);
  });

  it('expires dialogs at remaining lifetime + grace (fake clock)', async () => {
    const s = confirm(earlyDialog(1, clock.t), clock.t); // keep-alive due in 30 s
    await store.put(s);
    clock.advance(30_000 + timings.graceMs - 1);
    expect(await store.get(s.id)).not.toBeNull();
    clock.advance(1);
    expect(await store.get(s.id)).toBeNull();
    expect(await store.findByCallId(s.callId)).toEqual([]);
  });

  it('sweep drops expired entries without access', async () => {
    await store.put(earlyDialog(1, clock.t));
    await store.put(bump(earlyDialog(2, clock.t), { state: 'terminated' }));
    clock.advance(timings.graceMs);
    expect(store.sweep()).toBe(1);
    expect(store.size).toBe(1);
    clock.advance(180_000);
    expect(store.sweep()).toBe(1);
    expect(store.size).toBe(0);
  });

  it('leases: one owner at a time, renew/release only by the owner, expiry by clock', async () => {
    expect(await store.acquireLease('d1', 'core-a', 1_000)).toBe(true);
    expect(await store.acquireLease('d1', 'core-b', 1_000)).toBe(false);
    expect(await store.acquireLease('d1', 'core-a', 1_000)).toBe(true);
    expect(await store.renewLease('d1', 'core-b', 1_000)).toBe(false);
    expect(await store.releaseLease('d1', 'core-b')).toBe(false);
    clock.advance(999);
    expect(await store.renewLease('d1', 'core-a', 1_000)).toBe(true);
    clock.advance(999);
    expect(await store.leaseOwner('d1')).toBe('core-a');
    clock.advance(1);
    expect(await store.leaseOwner('d1')).toBeNull();
    expect(await store.acquireLease('d1', 'core-b', 1_000)).toBe(true);
    expect(await store.releaseLease('d1', 'core-b')).toBe(true);
    expect(await store.leaseOwner('d1')).toBeNull();
  });

  it('claimOnce grants a name once until it expires', async () => {
    expect(await store.claimOnce('cdr:x', 1_000)).toBe(true);
    expect(await store.claimOnce('cdr:x', 1_000)).toBe(false);
    clock.advance(1_000);
    expect(await store.claimOnce('cdr:x', 1_000)).toBe(true);
  });

  it('notifies changes; a throwing listener does not break writes', async () => {
    const seen: DialogChange[] = [];
    store.onChange(() => {
      throw new Error('boom');
    });
    const off = store.onChange((c) => seen.push(c));
    const s = earlyDialog(1, clock.t);
    await store.put(s);
    await store.delete(s.id, 2);
    off();
    await store.put({ ...s, version: 3 });
    expect(seen.map((c) => [c.version, c.deleted, c.node])).toEqual([
      [1, false, 'core-a'],
      [2, true, 'core-a'],
    ]);
  });
});
