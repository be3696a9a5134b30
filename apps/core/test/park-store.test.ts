import { createRedisClient, type RedisClient } from '@strata/redis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryParkStore, RedisParkStore } from '../src/actions/park.js';
import { TestRedis } from './e2e/support/redis.js';

const call = (slot: string) => ({
  slot,
  server: 'sip:10.0.0.5:5080',
  callId: `c-${slot}@x`,
  parker: 'sip:alice@x',
});

describe('MemoryParkStore (fake timers)', () => {
  it('lowest free slot, reserved until commit/release; take once; forgotten after the timeout', async () => {
    vi.useFakeTimers();
    try {
      const p = new MemoryParkStore(701, 703, 60_000);
      expect(await p.reserve('sip:alice@x')).toBe('701');
      expect(await p.reserve('sip:alice@x')).toBe('702');
      await p.release('701');
      expect(await p.reserve('sip:alice@x')).toBe('701');
      expect(await p.take('701')).toBeNull(); // reserved, not parked
      expect(await p.parkerOf('701')).toBe('sip:alice@x');
      expect(await p.parkerOf('703')).toBeNull();
      await p.commit(call('701'));
      await p.commit(call('702'));
      expect(await p.reserve('sip:alice@x')).toBe('703');
      expect(await p.reserve('sip:alice@x')).toBeNull();
      expect((await p.take('701'))?.callId).toBe('c-701@x');
      expect(await p.take('701')).toBeNull();
      vi.advanceTimersByTime(60_000);
      expect(await p.list()).toEqual([]); // 702 timed out
      expect([p.isSlot('702'), p.isSlot('700'), p.isSlot('0702'), p.isSlot('x')]).toEqual([
        true,
        false,
        false,
        false,
      ]);
      p.close();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('RedisParkStore (real redis-server): slots shared by the cluster', () => {
  let server: TestRedis;
  let redis: RedisClient;
  beforeAll(async () => {
    server = await TestRedis.start();
    redis = createRedisClient({ mode: 'standalone', host: '127.0.0.1', port: server.port });
    if (redis.status !== 'ready') await new Promise((r) => redis.once('ready', r));
  });
  afterAll(async () => {
    redis.disconnect();
    await server.kill();
  });

  it('two cores reserve different slots; a call parked on one is retrieved on the other, once', async () => {
    const a = new RedisParkStore(redis, 't1', 701, 702, 300_000, 40_000);
    const b = new RedisParkStore(redis, 't1', 701, 702, 300_000, 40_000);
    const [ra, rb] = await Promise.all([a.reserve('sip:alice@x'), b.reserve('sip:alice@x')]);
    expect([ra, rb].sort()).toEqual(['701', '702']);
    expect(await a.reserve('sip:alice@x')).toBeNull();
    expect(await b.take(ra!)).toBeNull(); // only reserved
    expect(await b.parkerOf(ra!)).toBe('sip:alice@x'); // another core sees who parks
    await a.commit(call(ra!));
    expect(await redis.pttl(`t1:park:{slots}:${ra}`)).toBeGreaterThan(290_000);
    expect((await b.list()).map((p) => p.slot)).toEqual([ra]);
    expect(await b.take(ra!)).toMatchObject({ slot: ra, server: 'sip:10.0.0.5:5080' });
    expect(await a.take(ra!)).toBeNull();
    await b.release(rb!);
    expect(await a.reserve('sip:alice@x')).toBe(ra);
  });
});
