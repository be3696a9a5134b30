/**
 * destinationOf resolves names through a cache: one lookup per name, then the
 * cached address — also while a refresh after the TTL is slow or fails (a lost
 * DNS answer must not stall routing).
 */
import { describe, expect, it } from 'vitest';
import { HostCache } from '../src/routing/resolve.js';

describe('HostCache', () => {
  it('looks a name up once, serves it, refreshes after the TTL without waiting', async () => {
    let now = 0;
    const calls: string[] = [];
    let answer: Promise<string> = Promise.resolve('10.89.77.5');
    const cache = new HostCache({
      ttlMs: 1000,
      maxEntries: 10,
      now: () => now,
      lookup: (h) => {
        calls.push(h);
        return answer;
      },
    });
    const [a, b] = await Promise.all([cache.resolve('asterisk'), cache.resolve('Asterisk')]);
    expect([a, b]).toEqual(['10.89.77.5', '10.89.77.5']);
    expect(calls).toEqual(['asterisk']); // concurrent misses share one lookup
    expect(await cache.resolve('asterisk')).toBe('10.89.77.5');
    expect(calls).toHaveLength(1);

    now = 1500; // stale: the refresh never answers (lost DNS reply)
    answer = new Promise(() => {});
    expect(await cache.resolve('asterisk')).toBe('10.89.77.5');
    expect(await cache.resolve('asterisk')).toBe('10.89.77.5');
    expect(calls).toHaveLength(2); // one refresh in flight, not one per request
  });

  it('takes a new address once a refresh answers; a failed refresh keeps the old one', async () => {
    let now = 0;
    let next: () => Promise<string> = () => Promise.resolve('10.0.0.1');
    const cache = new HostCache({
      ttlMs: 1000,
      maxEntries: 10,
      now: () => now,
      lookup: () => next(),
    });
    expect(await cache.resolve('edge')).toBe('10.0.0.1');
    now = 2000;
    next = () => Promise.reject(new Error('ENOTFOUND'));
    expect(await cache.resolve('edge')).toBe('10.0.0.1');
    await new Promise((r) => setImmediate(r));
    next = () => Promise.resolve('10.0.0.2');
    expect(await cache.resolve('edge')).toBe('10.0.0.1'); // still stale: refresh started
    await new Promise((r) => setImmediate(r));
    expect(await cache.resolve('edge')).toBe('10.0.0.2');
    // an unknown name that fails is an error for the caller
    next = () => Promise.reject(new Error('ENOTFOUND'));
    await expect(cache.resolve('nowhere')).rejects.toThrow('ENOTFOUND');
  });
});
