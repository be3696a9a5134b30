import { describe, expect, it } from 'vitest';
import { RecentCalls } from '../src/lcr/recent-calls.js';

describe('RecentCalls', () => {
  it('keeps an ended call for keepMs, then drops it on a later end; a new set revives it', () => {
    let now = 0;
    const calls = new RecentCalls<string>(() => now, 1000);
    calls.set('a', 'A');
    calls.set('b', 'B');
    calls.end('a');
    expect(calls.get('a')).toBe('A'); // the CDR still finds it
    expect(calls.isActive('a')).toBe(false);
    now = 999;
    calls.end('b');
    expect(calls.size).toBe(2);
    now = 1000;
    calls.set('c', 'C');
    calls.end('c'); // sweeps what ended ≥ 1 s ago
    expect(calls.get('a')).toBeUndefined();
    expect(calls.get('b')).toBe('B');
    calls.end('b'); // ended already: no change
    calls.set('b', 'B2');
    expect(calls.isActive('b')).toBe(true);
  });
});
