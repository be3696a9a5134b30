import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreStatus } from '../src/store/dialog-store.js';
import { RedisDialogStore } from '../src/store/redis-dialog-store.js';
import { bump, confirm, earlyDialog } from './support/fixtures.js';
import { RedisTestServer } from './support/redis-server.js';
import { waitFor } from './support/wait-for.js';

describe('RedisDialogStore when Redis dies mid-call', () => {
  let server: RedisTestServer;
  const open: RedisDialogStore[] = [];
  const store = (node: string): RedisDialogStore => {
    const s = new RedisDialogStore({
      node,
      redis: {
        mode: 'standalone',
        host: server.host,
        port: server.port,
        maxReconnectDelayMs: 100,
        commandTimeoutMs: 500,
      },
    });
    open.push(s);
    return s;
  };

  beforeAll(async () => {
    server = await RedisTestServer.start();
  });
  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    await server.stop();
  });

  it('serves locally while degraded and re-writes dirty dialogs after restart', async () => {
    const a = store('core-a');
    expect(await a.whenReady()).toBe(true);
    const statuses: StoreStatus[] = [];
    a.onStatusChange((s) => statuses.push(s));

    const now = Date.now();
    const d1 = confirm(earlyDialog(1, now), now);
    const d2 = earlyDialog(2, now);
    const untouched = confirm(earlyDialog(4, now), now);
    const notOurs = earlyDialog(5, now, 'core-q');
    expect(await a.put(untouched)).toEqual({ ok: true, version: 2 });
    expect(await a.put(notOurs)).toEqual({ ok: true, version: 1 });
    expect(await a.put(d1)).toEqual({ ok: true, version: 2 });
    expect(await a.put(d2)).toEqual({ ok: true, version: 1 });

    await server.kill();
    await waitFor(() => (a.status() === 'degraded' ? true : undefined), 'degraded status');

    // Writes and reads keep working from the local copy; nothing throws.
    const d1b = bump(d1, { caller: { ...d1.caller, onHold: true } });
    expect(await a.put(d1b)).toEqual({ ok: true, version: 3 });
    expect(await a.put(d1)).toEqual({ ok: false, reason: 'stale', current: 2 + 1 });
    const d3 = earlyDialog(3, now);
    expect(await a.put(d3)).toEqual({ ok: true, version: 1 });
    expect(await a.delete(d2.id, 2)).toEqual({ ok: true, version: 2 });
    expect(await a.get(d1.id)).toEqual(d1b);
    expect(await a.findByCallId(d3.callId)).toEqual([d3]);
    expect(await a.acquireLease(d1.id, 'core-a', 10_000)).toBe(true);
    expect(await a.claimOnce('x', 1_000)).toBe(true);
    expect(a.status()).toBe('degraded');
    expect(a.dirtyIds().sort()).toEqual([d1.id, d2.id, d3.id].sort());

    await server.restart(); // empty Redis on the same port
    expect(await a.whenReady(10_000)).toBe(true);
    expect(statuses).toEqual(['degraded', 'ok']);
    expect(a.dirtyIds()).toEqual([]);

    const fresh = store('core-b');
    expect(await fresh.whenReady()).toBe(true);
    expect(await fresh.get(d1.id)).toEqual(d1b);
    expect(await fresh.get(d3.id)).toEqual(d3);
    expect(await fresh.get(d2.id)).toBeNull();
    // Redis came back empty: dialogs this node owns are restored even if unchanged …
    expect(await fresh.get(untouched.id)).toEqual(untouched);
    // … while other nodes' dialogs are theirs to restore.
    expect(await fresh.get(notOurs.id)).toBeNull();
    // The tombstone written by the re-sync still rejects the old version.
    expect(await fresh.put(d2)).toEqual({ ok: false, reason: 'stale', current: 2 });
  });

  it('a newer version written elsewhere wins over a dirty local copy on re-sync', async () => {
    const a = store('core-a');
    const b = store('core-b');
    expect(await a.whenReady()).toBe(true);
    expect(await b.whenReady()).toBe(true);
    const now = Date.now();
    const d = earlyDialog(10, now);
    await a.put(d);

    await server.kill();
    await waitFor(() => (a.status() === 'degraded' ? true : undefined), 'degraded');
    expect(await a.put(bump(d))).toEqual({ ok: true, version: 2 }); // dirty v2 on A

    await server.restart();
    // Meanwhile B (which took over the call) writes v5.
    expect(await b.whenReady(10_000)).toBe(true);
    const v5 = { ...d, version: 5, ownerNode: 'core-b' };
    expect(await b.put(v5)).toMatchObject({ ok: true });
    expect(await a.whenReady(10_000)).toBe(true);
    // Either A re-synced v2 first and B's v5 superseded it, or A's v2 was rejected: v5 wins.
    expect(await a.get(d.id)).toEqual(v5);
  });

  it('never throws while Redis was never reachable', async () => {
    const port = server.port;
    await server.kill();
    const lonely = new RedisDialogStore({
      node: 'core-z',
      redis: { mode: 'standalone', host: '127.0.0.1', port, maxReconnectDelayMs: 100 },
    });
    open.push(lonely);
    const d = earlyDialog(20, Date.now());
    expect(await lonely.put(d)).toEqual({ ok: true, version: 1 });
    expect(await lonely.get(d.id)).toEqual(d);
    expect(await lonely.list()).toEqual([d]);
    expect(lonely.status()).toBe('degraded');
    await server.restart();
    expect(await lonely.whenReady(10_000)).toBe(true);
  });
});
