/**
 * Cluster peers are recognised by the address their name resolves to, not only by the
 * name: Asterisk (rewrite_contact=yes) or a NAT rewrites a Route to `10.89.0.12:5060`
 * and the surviving core must still see a cluster core there (failover).
 */
import { describe, expect, it, vi } from 'vitest';
import { ClusterPeers, normalisePeer } from '../src/routing/cluster-peers.js';

describe('normalisePeer', () => {
  it('reduces peer spellings to host:port', () => {
    expect(normalisePeer('sip:Core-B:5071;transport=udp')).toBe('core-b:5071');
    expect(normalisePeer('127.0.0.1')).toBe('127.0.0.1:5060');
    expect(normalisePeer('[::1]:5070')).toBe('::1:5070');
  });
});

describe('ClusterPeers', () => {
  it('recognises a peer by name and by every address the name resolves to, with its port', async () => {
    const asked: string[] = [];
    const peers = new ClusterPeers(['core-a:5060', 'sip:core-b:5071', '10.0.0.9:5060'], {
      lookup: (h) => {
        asked.push(h);
        return Promise.resolve(h === 'core-a' ? ['10.89.0.11'] : ['10.89.0.12', 'FD00::12']);
      },
    });
    expect(peers.has('10.89.0.12:5071')).toBe(false); // not resolved yet
    await peers.refresh();
    expect(asked.sort()).toEqual(['core-a', 'core-b']); // literal addresses are not looked up
    expect(peers.has('core-b:5071')).toBe(true);
    expect(peers.has('10.89.0.11:5060')).toBe(true);
    expect(peers.has('10.89.0.12:5071')).toBe(true);
    expect(peers.has('fd00::12:5071')).toBe(true);
    expect(peers.has('10.0.0.9:5060')).toBe(true);
    // the port matters: another service on a peer's host is not a core
    expect(peers.has('10.89.0.12:5060')).toBe(false);
    expect(peers.has('10.89.0.13:5071')).toBe(false);
  });

  it('keeps a dead peer’s address when its name stops resolving, forgets it after retainMs', async () => {
    let now = 0;
    let answer: () => Promise<string[]> = () => Promise.resolve(['10.89.0.12']);
    const peers = new ClusterPeers(['core-b:5060'], {
      retainMs: 60_000,
      now: () => now,
      lookup: () => answer(),
    });
    await peers.refresh();
    // the container died: its DNS record is gone, but Routes still carry its address
    answer = () => Promise.reject(new Error('ENOTFOUND'));
    now = 30_000;
    await peers.refresh();
    expect(peers.has('10.89.0.12:5060')).toBe(true);
    // restarted with a new address: both count until the old one ages out
    answer = () => Promise.resolve(['10.89.0.20']);
    now = 50_000;
    await peers.refresh();
    expect(peers.has('10.89.0.12:5060')).toBe(true);
    expect(peers.has('10.89.0.20:5060')).toBe(true);
    now = 70_001;
    await peers.refresh();
    expect(peers.has('10.89.0.12:5060')).toBe(false);
    expect(peers.has('10.89.0.20:5060')).toBe(true);
  });

  it('joins a round stuck on a lost DNS answer instead of starting another', () => {
    let calls = 0;
    const peers = new ClusterPeers(['core-b'], {
      lookup: () => {
        calls++;
        return new Promise(() => {});
      },
    });
    void peers.refresh();
    void peers.refresh();
    expect(calls).toBe(1);
  });

  it('re-resolves on its timer after start', async () => {
    vi.useFakeTimers();
    try {
      let address = '10.89.0.12';
      const peers = new ClusterPeers(['core-b'], {
        refreshMs: 1000,
        lookup: () => Promise.resolve([address]),
      });
      await peers.start();
      expect(peers.has('10.89.0.12:5060')).toBe(true);
      address = '10.89.0.30';
      await vi.advanceTimersByTimeAsync(1000);
      expect(peers.has('10.89.0.30:5060')).toBe(true);
      peers.stop();
      address = '10.89.0.40';
      await vi.advanceTimersByTimeAsync(5000);
      expect(peers.has('10.89.0.40:5060')).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
