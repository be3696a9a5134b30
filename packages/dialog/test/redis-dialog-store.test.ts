import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialogChange } from '../src/store/dialog-store.js';
import { RedisDialogStore } from '../src/store/redis-dialog-store.js';
import { RedisKeys } from '../src/store/redis-keys.js';
import { bump, confirm, earlyDialog } from './support/fixtures.js';
import { RedisTestServer } from './support/redis-server.js';
import { waitFor } from './support/wait-for.js';

const timings = { graceMs: 60_000, defaultLifetimeMs: 600_000, tombstoneMs: 5_000 };

describe('RedisDialogStore on a real redis-server', () => {
  let server: RedisTestServer;
  let raw: Redis;
  const open: RedisDialogStore[] = [];

  const store = async (node: string): Promise<RedisDialogStore> => {
    const s = new RedisDialogStore({
      node,
      redis: { mode: 'standalone', host: server.host, port: server.port },
      timings,
    });
    open.push(s);
    expect(await s.whenReady(5_000)).toBe(true);
    return s;
  };

  beforeAll(async () => {
    server = await RedisTestServer.start();
    raw = new Redis({ host: server.host, port: server.port });
  });

  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    raw.disconnect();
    await server.stop();
  });

  it('fails over from node A to node B: lease takeover, versions, notifications, TTLs', async () => {
    const keys = new RedisKeys('strata:');
    const a = await store('core-a');
    const b = await store('core-b');
    const seenByB: DialogChange[] = [];
    b.onChange((c) => seenByB.push(c));

    // A creates and confirms the dialog and holds its lease.
    const now = Date.now();
    const early = earlyDialog(1, now);
    expect(await a.acquireLease(early.id, 'core-a', 300)).toBe(true);
    expect(await a.put(early)).toEqual({ ok: true, version: 1 });
    const confirmed = confirm(early, now);
    expect(await a.put(confirmed)).toEqual({ ok: true, version: 2 });

    // B is told, and measured how late it learned about it.
    await waitFor(() => (seenByB.some((c) => c.version === 2) ? true : undefined), 'change on B');
    expect(seenByB.find((c) => c.version === 2)).toMatchObject({ id: early.id, node: 'core-a' });
    const lag = b.lagStats();
    expect(lag.count).toBeGreaterThanOrEqual(2);
    expect(lag.max).toBeGreaterThanOrEqual(lag.p50);
    expect(lag.p99).toBeLessThan(1_000);

    // Keys expire: remaining lifetime (keep-alive due in 30 s) + grace; the lease by its own TTL.
    const pttl = await raw.pttl(keys.dialog(early.id));
    expect(pttl).toBeGreaterThan(60_000);
    expect(pttl).toBeLessThanOrEqual(90_000);
    expect(await raw.pttl(keys.callIdIndex(early.callId))).toBeGreaterThan(0);
    expect(await raw.pttl(keys.lease(early.id))).toBeGreaterThan(0);

    // A dies without cleaning up.
    await a.close();

    // B loads the dialog but cannot take the lease until A's lease expires (Redis-side TTL).
    const loaded = await b.get(early.id);
    expect(loaded).toEqual(confirmed);
    expect(await b.findByCallId(early.callId)).toEqual([confirmed]);
    expect(await b.acquireLease(early.id, 'core-b', 5_000)).toBe(false);
    expect(await b.leaseOwner(early.id)).toBe('core-a');
    await waitFor(
      async () => ((await b.acquireLease(early.id, 'core-b', 5_000)) ? true : undefined),
      'lease takeover by B',
      3_000,
      25,
    );
    expect(await b.leaseOwner(early.id)).toBe('core-b');

    const byB = bump(loaded!, { ownerNode: 'core-b' });
    expect(await b.put(byB)).toEqual({ ok: true, version: 3 });

    // A comes back (new client) with a write based on what it knew: rejected as stale.
    const a2 = await store('core-a');
    const staleFromA = bump(confirmed, { state: 'terminated' });
    expect(await a2.put(staleFromA)).toEqual({ ok: false, reason: 'stale', current: 3 });
    expect((await a2.get(early.id))?.ownerNode).toBe('core-b');
    expect(await a2.renewLease(early.id, 'core-a', 5_000)).toBe(false);

    expect(await b.list({ ownerNode: 'core-b' })).toEqual([byB]);
  });

  it('delete leaves a tombstone that blocks stale writes and clears the lease and index', async () => {
    const keys = new RedisKeys('strata:');
    const a = await store('core-a');
    const s = confirm(earlyDialog(2, Date.now()), Date.now());
    await a.put(s);
    await a.acquireLease(s.id, 'core-a', 10_000);
    expect(await a.delete(s.id, 1)).toEqual({ ok: false, reason: 'stale', current: 2 });
    expect(await a.delete(s.id, 3)).toEqual({ ok: true, version: 3 });
    expect(await a.get(s.id)).toBeNull();
    expect(await a.leaseOwner(s.id)).toBeNull();
    expect(await a.findByCallId(s.callId)).toEqual([]);
    const pttl = await raw.pttl(keys.dialog(s.id));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(timings.tombstoneMs);

    const other = await store('core-b'); // no cached copy: the tombstone itself rejects
    expect(await other.put(bump(s))).toEqual({ ok: false, reason: 'stale', current: 3 });
  });

  it('claimOnce is atomic across nodes', async () => {
    const a = await store('core-a');
    const b = await store('core-b');
    const results = await Promise.all([a.claimOnce('job-1', 10_000), b.claimOnce('job-1', 10_000)]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});
