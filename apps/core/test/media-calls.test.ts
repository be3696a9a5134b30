import { describe, expect, it } from 'vitest';
import { MediaCalls } from '../src/media/media-calls.js';
import { MediaGroup } from '../src/media/media-group.js';

const A = 'sip:10.0.0.1:5060';
const B = 'sip:10.0.0.2:5060';

function setup(): { group: MediaGroup; calls: MediaCalls } {
  const group = new MediaGroup('media', {
    algorithm: 'least-active',
    targets: [
      { uri: A, weight: 1 },
      { uri: B, weight: 1 },
    ],
    probe: { enabled: false, intervalMs: 1000, timeoutMs: 500, downAfter: 2, upAfter: 2 },
    failoverOn: [503, 408],
  });
  return { group, calls: new MediaCalls(new Map([['media', group]])) };
}

const active = (g: MediaGroup): number[] => g.targets.map((t) => t.active);

describe('MediaCalls (least-active accounting)', () => {
  it('an answered call counts on its server; a second concurrent call goes to the idle one', () => {
    const { group, calls } = setup();
    const first = group.order('c1')[0]!.uri;
    expect(first).toBe(A);
    calls.assign('c1', 'media', first);
    expect(active(group)).toEqual([0, 0]); // ringing: not counted yet
    calls.confirmed('c1', 'c1:f:t');
    expect(active(group)).toEqual([1, 0]);
    expect(group.order('c2')[0]!.uri).toBe(B);
    calls.assign('c2', 'media', B);
    calls.confirmed('c2', 'c2:f:t');
    expect(active(group)).toEqual([1, 1]);
    calls.terminated('c1', 'c1:f:t');
    expect(active(group)).toEqual([0, 1]);
    expect(group.order('c3')[0]!.uri).toBe(A);
    calls.terminated('c2', 'c2:f:t');
    expect(active(group)).toEqual([0, 0]);
    expect(calls.size).toBe(0);
  });

  it('failover: the server that answered is counted, not the first choice', () => {
    const { group, calls } = setup();
    calls.assign('c1', 'media', A);
    calls.assign('c1', 'media', B); // A answered 503, the failure hook moved on
    calls.confirmed('c1', 'c1:f:t');
    expect(active(group)).toEqual([0, 1]);
    calls.terminated('c1', 'c1:f:t');
    expect(active(group)).toEqual([0, 0]);
  });

  it('calls that never answer, repeated events and other dialogs do not skew the counts', () => {
    const { group, calls } = setup();
    calls.assign('rejected', 'media', A);
    calls.terminated('rejected', 'rejected:f:');
    expect(calls.size).toBe(0);
    calls.assign('c1', 'media', A);
    calls.confirmed('c1', 'c1:f:t');
    calls.confirmed('c1', 'c1:f:t');
    calls.assign('c1', 'media', B); // late: the call is counted already
    expect(active(group)).toEqual([1, 0]);
    calls.terminated('c1', 'c1:f:other');
    expect(active(group)).toEqual([1, 0]);
    calls.terminated('c1', 'c1:f:t');
    calls.terminated('c1', 'c1:f:t');
    expect(active(group)).toEqual([0, 0]);
    calls.confirmed('unknown', 'x'); // not a media call
    calls.terminated('unknown', 'x');
    expect(active(group)).toEqual([0, 0]);
  });
});
