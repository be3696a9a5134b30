import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DtmfCollector, type FeatureHit } from '../src/features/dtmf-collector.js';
import { parseDtmfInfo, isDtmfInfo } from '../src/features/dtmf-info.js';
import {
  featureCodeSchema,
  matchFeature,
  type FeatureCode,
} from '../src/features/feature-codes.js';

describe('DTMF INFO bodies', () => {
  it('application/dtmf-relay: Signal and Duration, any case and spacing, CRLF or LF', () => {
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n')).toEqual({
      digit: '5',
      durationMs: 160,
    });
    expect(
      parseDtmfInfo('Application/DTMF-Relay; x=1', Buffer.from('signal = *\nduration= 250')),
    ).toEqual({
      digit: '*',
      durationMs: 250,
    });
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=#')).toEqual({
      digit: '#',
      durationMs: null,
    });
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=a\r\nDuration=100')).toEqual({
      digit: 'A',
      durationMs: 100,
    });
    // numeric events (RFC 4733 numbering) some gateways put in Signal
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=10')?.digit).toBe('*');
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=11')?.digit).toBe('#');
  });

  it('application/dtmf: the bare digit, or the Signal= form', () => {
    expect(parseDtmfInfo('application/dtmf', '7')).toEqual({ digit: '7', durationMs: null });
    expect(parseDtmfInfo('application/dtmf', ' #\r\n')).toEqual({ digit: '#', durationMs: null });
    expect(parseDtmfInfo('application/dtmf', 'Signal=3\r\nDuration=80')).toEqual({
      digit: '3',
      durationMs: 80,
    });
  });

  it('bad input gives null, never throws', () => {
    for (const [ct, body] of [
      ['application/dtmf-relay', ''],
      ['application/dtmf-relay', 'Signal=\r\n'],
      ['application/dtmf-relay', 'Signal=55'],
      ['application/dtmf-relay', 'Duration=100'],
      ['application/dtmf-relay', 'Signal=E'],
      ['application/dtmf', 'x'],
      ['application/dtmf', '16'],
      ['application/dtmf-relay', '\u0000\u00ff='.repeat(1000)],
      ['application/sdp', 'Signal=5'],
      [undefined, 'Signal=5'],
    ] as const)
      expect(parseDtmfInfo(ct, body)).toBeNull();
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=5\r\nDuration=abc')).toEqual({
      digit: '5',
      durationMs: null,
    });
    expect(isDtmfInfo('application/dtmf-relay;foo')).toBe(true);
    expect(isDtmfInfo('application/sdp')).toBe(false);
  });
});

const codes: FeatureCode[] = [
  featureCodeSchema.parse({ code: '*2', action: 'transfer', collect: true }),
  featureCodeSchema.parse({ code: '*3', action: 'record' }),
  featureCodeSchema.parse({ code: '*0', action: 'park' }),
  featureCodeSchema.parse({ code: '*33', action: 'stop-record' }),
];

describe('feature-code matching', () => {
  it('complete, partial and no match', () => {
    expect(matchFeature(codes, '*')).toEqual({ kind: 'partial' });
    expect(matchFeature(codes, '*0')).toMatchObject({
      kind: 'match',
      code: { action: 'park' },
      arg: null,
    });
    expect(matchFeature(codes, '*2')).toEqual({ kind: 'partial' });
    expect(matchFeature(codes, '*21002')).toEqual({ kind: 'partial' });
    expect(matchFeature(codes, '*21002#')).toMatchObject({
      kind: 'match',
      code: { action: 'transfer' },
      arg: '1002',
    });
    expect(matchFeature(codes, '*2#')).toEqual({ kind: 'none' });
    expect(matchFeature(codes, '*21*')).toEqual({ kind: 'none' });
    expect(matchFeature(codes, '5')).toEqual({ kind: 'none' });
    // first listed wins: *3 completes before *33 could
    expect(matchFeature(codes, '*3')).toMatchObject({ kind: 'match', code: { action: 'record' } });
  });
});

describe('DtmfCollector (fake timers)', () => {
  let hits: FeatureHit[];
  let c: DtmfCollector;
  beforeEach(() => {
    vi.useFakeTimers();
    hits = [];
    c = new DtmfCollector(codes, 3000, (h) => hits.push(h));
  });
  afterEach(() => {
    c.close();
    vi.useRealTimers();
  });

  const dial = (digits: string, side: 'caller' | 'callee' = 'caller', id = 'd1'): void => {
    for (const d of digits) c.digit(id, side, d);
  };

  it('*2<number># runs a blind transfer with the number; the buffer clears', () => {
    dial('*21002#');
    expect(hits.map((h) => [h.dialogId, h.side, h.code.action, h.arg])).toEqual([
      ['d1', 'caller', 'transfer', '1002'],
    ]);
    expect(c.size).toBe(0);
  });

  it('digits before a code do not hide it; buffers are per dialog and per side', () => {
    dial('19*0');
    expect(hits.map((h) => h.code.action)).toEqual(['park']);
    dial('*', 'caller', 'd1');
    dial('3', 'callee', 'd1'); // the other party's digit does not complete the caller's code
    dial('*', 'caller', 'd2');
    expect(hits).toHaveLength(1);
    expect(c.pending('d1', 'caller')).toBe('*');
    expect(c.pending('d1', 'callee')).toBe('');
    dial('3', 'caller', 'd1');
    expect(hits.map((h) => [h.dialogId, h.side, h.code.action])).toEqual([
      ['d1', 'caller', 'park'],
      ['d1', 'caller', 'record'],
    ]);
  });

  it('inter-digit timeout: a pause of 3 s discards the unfinished code', () => {
    dial('*2100');
    vi.advanceTimersByTime(2999);
    dial('2#'); // within the timeout: completes
    expect(hits.map((h) => h.arg)).toEqual(['1002']);
    dial('*2100');
    vi.advanceTimersByTime(3000);
    expect(c.pending('d1', 'caller')).toBe('');
    dial('2#');
    expect(hits).toHaveLength(1);
    dial('*');
    vi.advanceTimersByTime(3000);
    dial('0');
    expect(hits).toHaveLength(1);
  });

  it('forget() drops the dialog buffers and their timers', () => {
    dial('*2');
    dial('*', 'callee');
    expect(c.size).toBe(2);
    c.forget('d1');
    expect(c.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
