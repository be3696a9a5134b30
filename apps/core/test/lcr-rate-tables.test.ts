import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RateTables } from '../src/lcr/rate-tables.js';
import { RedisForwardingStore } from '../src/forwarding/settings-store.js';
import type { HashClient } from '../src/dialogs/stores.js';

const log = pino({ level: 'silent' });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function file(text: string): string {
  const d = mkdtempSync(join(tmpdir(), 'strata-lcr-unit-'));
  dirs.push(d);
  const f = join(d, 'rates.csv');
  writeFileSync(f, text);
  return f;
}

/** An in-memory stand-in for the Redis hash commands. */
class FakeHashes implements HashClient {
  readonly data = new Map<string, Map<string, string>>();
  private h(key: string): Map<string, string> {
    let m = this.data.get(key);
    if (m === undefined) this.data.set(key, (m = new Map<string, string>()));
    return m;
  }
  hget(key: string, field: string): Promise<string | null> {
    return Promise.resolve(this.h(key).get(field) ?? null);
  }
  hset(key: string, field: string, value: string): Promise<number> {
    const isNew = !this.h(key).has(field);
    this.h(key).set(field, value);
    return Promise.resolve(isNew ? 1 : 0);
  }
  hdel(key: string, field: string): Promise<number> {
    return Promise.resolve(this.h(key).delete(field) ? 1 : 0);
  }
  hgetall(key: string): Promise<Record<string, string>> {
    return Promise.resolve(Object.fromEntries(this.h(key)));
  }
}

describe('RateTables', () => {
  it('loads every configured table; a reload swaps the table whole', async () => {
    const f = file('44,a,1\n');
    const tables = new RateTables(log);
    const loads = await tables.configure({ default: { csv: f } }, false);
    expect(loads[0]).toMatchObject({ table: 'default', prefixes: 1, report: { rows: 1, bad: 0 } });
    const before = tables.get('default')!;
    writeFileSync(f, '44,b,1\n33,b,2\n');
    await tables.reload('default');
    expect(tables.get('default')!.lookup('441')?.routes[0]!.carrier).toBe('b');
    expect(before.lookup('441')?.routes[0]!.carrier).toBe('a'); // the old table is untouched
    expect(tables.reloads).toBe(2);
  });

  it('a source that fails keeps the running table', async () => {
    const f = file('44,a,1\n');
    const tables = new RateTables(log);
    await tables.configure({ default: { csv: f } }, false);
    rmSync(f);
    await expect(tables.reload('default')).rejects.toThrow();
    expect(tables.get('default')!.lookup('441')?.routes[0]!.carrier).toBe('a');
    await expect(tables.reload('nope')).rejects.toThrow('no rate table nope');
  });

  it('a Redis hash table (field = prefix, value = carrier:cost,…)', async () => {
    const redis = new FakeHashes();
    await redis.hset('strata:rates', '4420', 'b:0.008,a:0.01');
    await redis.hset('strata:rates', '44', 'a:0.01');
    const tables = new RateTables(log, (k) => redis.hgetall(k));
    await tables.configure({ default: { redisKey: 'strata:rates' } }, false);
    expect(
      tables
        .get('default')!
        .lookup('442071')
        ?.routes.map((r) => r.carrier),
    ).toEqual(['b', 'a']);
    const noRedis = new RateTables(log);
    await expect(
      noRedis
        .configure({ default: { redisKey: 'x' } }, false)
        .then(() => noRedis.reload('default')),
    ).rejects.toThrow('store: redis');
  });
});

describe('RateTables retries', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a table whose source fails at start (Redis still connecting) is tried again until it loads', async () => {
    vi.useFakeTimers();
    let up = false;
    const tables = new RateTables(log, () =>
      up ? Promise.resolve({ '44': 'a:1' }) : Promise.reject(new Error('not connected')),
    );
    expect(await tables.configure({ default: { redisKey: 'k' } }, false)).toEqual([]);
    expect(tables.get('default')).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1000); // still down: retried, fails again
    expect(tables.get('default')).toBeUndefined();
    up = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(tables.get('default')?.lookup('441')?.routes[0]!.carrier).toBe('a');
    tables.close();
  });
});

describe('RedisForwardingStore', () => {
  it('keeps settings per AoR in one hash; a bad stored value counts as none', async () => {
    const redis = new FakeHashes();
    const store = new RedisForwardingStore(redis, 'strata');
    await store.set('sip:alice@example.com', { busy: 'bob', noAnswerSeconds: 20 });
    expect(await store.get('sip:alice@example.com')).toEqual({ busy: 'bob', noAnswerSeconds: 20 });
    expect(redis.data.get('strata:forwarding')?.get('sip:alice@example.com')).toBe(
      '{"busy":"bob","noAnswerSeconds":20}',
    );
    await redis.hset('strata:forwarding', 'sip:bad@example.com', '{"busy": 7}');
    await redis.hset('strata:forwarding', 'sip:worse@example.com', 'not json');
    expect(await store.get('sip:bad@example.com')).toBeNull();
    expect(Object.keys(await store.list())).toEqual(['sip:alice@example.com']);
    expect(await store.delete('sip:alice@example.com')).toBe(true);
    expect(await store.delete('sip:alice@example.com')).toBe(false);
  });
});
