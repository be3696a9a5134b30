import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCallProfiles } from '../src/profiles/memory-call-profiles.js';
import { RedisCallProfiles } from '../src/profiles/redis-call-profiles.js';
import { createRedisClient } from '@strata/redis';
import { FakeClock } from './support/fixtures.js';
import { RedisTestServer } from './support/redis-server.js';

describe('MemoryCallProfiles', () => {
  it('limits, idempotent release, expiry and reconcile', async () => {
    const clock = new FakeClock();
    const p = new MemoryCallProfiles({ now: clock.now, entryTtlMs: 1_000 });
    expect(await p.tryAcquire('trunk:1', 'd1', 2)).toBe(true);
    expect(await p.tryAcquire('trunk:1', 'd1', 2)).toBe(true); // same dialog: no double count
    expect(await p.tryAcquire('trunk:1', 'd2', 2)).toBe(true);
    expect(await p.tryAcquire('trunk:1', 'd3', 2)).toBe(false);
    await p.release('trunk:1', 'd2');
    await p.release('trunk:1', 'd2');
    expect(await p.count('trunk:1')).toBe(1);
    expect(await p.tryAcquire('trunk:1', 'd3', 2)).toBe(true);
    clock.advance(500);
    expect(await p.refresh('trunk:1', 'd3')).toBe(true);
    clock.advance(500); // d1 expires (not refreshed), d3 lives on
    expect(await p.members('trunk:1')).toEqual(['d3']);
    expect(await p.refresh('trunk:1', 'd1')).toBe(false);
    await p.tryAcquire('trunk:1', 'd4', 5);
    expect(await p.reconcile('trunk:1', ['d4'])).toBe(1);
    expect(await p.members('trunk:1')).toEqual(['d4']);
  });
});

describe('RedisCallProfiles across two nodes', () => {
  let server: RedisTestServer;
  let ca: Redis;
  let cb: Redis;

  beforeAll(async () => {
    server = await RedisTestServer.start();
    const config = { mode: 'standalone', host: server.host, port: server.port } as const;
    ca = createRedisClient(config) as Redis;
    cb = createRedisClient(config) as Redis;
    await Promise.all([ca.ping(), cb.ping()].map((p) => p.catch(() => undefined)));
  });
  afterAll(async () => {
    ca.disconnect();
    cb.disconnect();
    await server.stop();
  });

  it('counts dialogs of both nodes against one limit', async () => {
    await new Promise<void>((resolve) =>
      ca.status === 'ready' ? resolve() : ca.once('ready', resolve),
    );
    await new Promise<void>((resolve) =>
      cb.status === 'ready' ? resolve() : cb.once('ready', resolve),
    );
    const a = new RedisCallProfiles({ redis: ca });
    const b = new RedisCallProfiles({ redis: cb });
    const key = 'account:42';
    const grants = await Promise.all([
      a.tryAcquire(key, 'a1', 3),
      b.tryAcquire(key, 'b1', 3),
      a.tryAcquire(key, 'a2', 3),
      b.tryAcquire(key, 'b2', 3),
      a.tryAcquire(key, 'a3', 3),
    ]);
    expect(grants.filter(Boolean)).toHaveLength(3);
    expect(await a.count(key)).toBe(3);
    expect(await b.count(key)).toBe(3);

    const [member] = await a.members(key);
    await b.release(key, member!);
    await a.release(key, member!); // idempotent
    expect(await b.count(key)).toBe(2);
    expect(await b.tryAcquire(key, 'b9', 3)).toBe(true);
    expect(await a.tryAcquire(key, 'a9', 3)).toBe(false);
    expect(await a.tryAcquire(key, 'b9', 3)).toBe(true); // already counted

    const raw = new Redis({ host: server.host, port: server.port });
    expect(await raw.pttl('strata:prof:{account:42}')).toBeGreaterThan(0);
    raw.disconnect();

    // A dead node's entries: dropped by reconcile against the live dialogs …
    const k2 = 'destination:+4930';
    await a.tryAcquire(k2, 'a1', 10);
    await a.tryAcquire(k2, 'a2', 10);
    await b.tryAcquire(k2, 'b1', 10);
    expect(await b.reconcile(k2, ['b1', 'not-counted'])).toBe(2);
    expect(await a.members(k2)).toEqual(['b1']);
  });

  it('… or when their entry TTL (server time) passes without refresh', async () => {
    const a = new RedisCallProfiles({ redis: ca, entryTtlMs: 50 });
    expect(await a.tryAcquire('trunk:short', 'x', 1)).toBe(true);
    expect(await a.tryAcquire('trunk:short', 'y', 1)).toBe(false);
    const deadline = Date.now() + 2_000;
    let granted = false;
    while (!granted && Date.now() < deadline) {
      granted = await a.tryAcquire('trunk:short', 'y', 1);
      if (!granted) await new Promise((r) => setTimeout(r, 10));
    }
    expect(granted).toBe(true);
    expect(await a.members('trunk:short')).toEqual(['y']);
  });
});
