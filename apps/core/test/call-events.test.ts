import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BoundedQueue } from '../src/events/bounded-queue.js';
import type { CallEvent } from '../src/events/call-event.js';
import { CallEvents } from '../src/events/call-events.js';
import { DeliveryWorker, type DeliverySettings } from '../src/events/delivery-worker.js';
import type { CallEventSink } from '../src/events/event-sink.js';
import { WebhookSink } from '../src/events/webhook-sink.js';
import { recordedDialog, T0 } from './support/dialog-fixture.js';

const log = pino({ level: 'silent' });
const settings: DeliverySettings = {
  queueSize: 3,
  batchSize: 10,
  maxAttempts: 3,
  backoffMs: 100,
  maxBackoffMs: 250,
};

/** A sink that fails while `failing`, and can be held (slow receiver). */
class FakeSink implements CallEventSink {
  readonly name = 'fake';
  readonly batches: string[][] = [];
  attempts = 0;
  failing = false;
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;

  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }
  release(): void {
    this.open?.();
    this.gate = null;
  }
  async deliver(batch: readonly CallEvent[]): Promise<void> {
    this.attempts++;
    if (this.gate !== null) await this.gate;
    if (this.failing) throw new Error('receiver down');
    this.batches.push(batch.map((e) => e.type));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('BoundedQueue', () => {
  it('drops the oldest when full and counts drops; take() is FIFO', () => {
    const q = new BoundedQueue<number>(3);
    for (let i = 1; i <= 5; i++) q.push(i);
    expect(q.dropped).toBe(2);
    expect(q.take(2)).toEqual([3, 4]);
    expect(q.take(10)).toEqual([5]);
    expect(q.size).toBe(0);
    expect(() => new BoundedQueue(0)).toThrow(RangeError);
  });
});

describe('CallEvents', () => {
  it('maps dialog events to versioned call events with ids, parties and timestamps', () => {
    const s = recordedDialog();
    const seen: CallEvent[] = [];
    const events = new CallEvents('core-1', [], log, () => T0 + 5);
    events.onEvent((e) => seen.push(e));
    events.fromDialog({ type: 'created', state: { ...s, state: 'early', toTag: null } });
    events.fromDialog({ type: 'early', state: s });
    events.fromDialog({ type: 'confirmed', state: s });
    events.fromDialog({ type: 'hold', state: s, side: 'caller', onHold: true });
    events.fromDialog({ type: 'hold', state: s, side: 'caller', onHold: false });
    events.fromDialog({ type: 'refer', state: s, referTo: 'sip:carol@x', status: 200 });
    const ended = {
      ...s,
      state: 'terminated' as const,
      endedAt: T0 + 9_000,
      disposition: { finalStatus: 200, hangupParty: 'proxy' as const, reason: 'admin' },
    };
    events.fromDialog({ type: 'terminated', state: ended, party: 'proxy', wasEarly: false });
    expect(seen.map((e) => e.type)).toEqual([
      'created',
      'ringing',
      'answered',
      'held',
      'resumed',
      'transferred',
      'ended',
    ]);
    expect(seen.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(seen[0]).toEqual({
      v: 1,
      id: 'core-1:1',
      seq: 1,
      node: 'core-1',
      type: 'created',
      ts: T0 + 5,
      dialogId: s.id,
      callId: '1-4242@127.0.0.1',
      caller: { uri: 'sip:sipp@127.0.0.1:6001', tag: '4242SIPpTag001' },
      callee: { uri: 'sip:bob@127.0.0.1:5060', tag: null },
      createdAt: T0,
      answeredAt: T0 + 2_000,
      data: {},
    });
    expect(seen[3]!.data).toEqual({ holder: 'caller', by: 'party' });
    expect(seen[5]!.data).toEqual({ referTo: 'sip:carol@x', status: 200, by: 'party' });
    expect(seen[6]!.data).toEqual({
      party: 'proxy',
      reason: 'admin',
      wasEarly: false,
      finalStatus: 200,
      endedAt: T0 + 9_000,
    });
    // JSON round trip: what a sink writes is what a consumer reads
    expect(JSON.parse(JSON.stringify(seen[6]))).toEqual(seen[6]);
  });
});

describe('DeliveryWorker', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries a failed batch with exponential backoff (capped), then delivers in order', async () => {
    const sink = new FakeSink();
    const w = new DeliveryWorker(sink, { ...settings, queueSize: 100, maxAttempts: 5 }, log);
    const events = new CallEvents('core-1', [w], log);
    sink.failing = true;
    events.publish('created', recordedDialog());
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.attempts).toBe(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(sink.attempts).toBe(1);
    await vi.advanceTimersByTimeAsync(1); // 100 ms
    expect(sink.attempts).toBe(2);
    events.publish('ringing', recordedDialog());
    await vi.advanceTimersByTimeAsync(200); // 200 ms
    expect(sink.attempts).toBe(3);
    sink.failing = false;
    await vi.advanceTimersByTimeAsync(249);
    expect(sink.attempts).toBe(3);
    await vi.advanceTimersByTimeAsync(1); // capped at 250 ms
    expect(sink.batches).toEqual([['created'], ['ringing']]);
    expect(w.stats()).toMatchObject({ delivered: 2, retries: 3, failed: 0, dropped: 0 });
  });

  it('a dead receiver: batches dropped after maxAttempts and counted; the queue stays bounded', async () => {
    const sink = new FakeSink();
    sink.failing = true;
    const w = new DeliveryWorker(sink, settings, log);
    const events = new CallEvents('core-1', [w], log);
    for (let i = 0; i < 10; i++) events.publish('dtmf', recordedDialog(), { digit: String(i) });
    // 1 batch in flight, the queue holds the newest 3, 6 dropped
    expect(w.stats()).toMatchObject({ queued: 3, dropped: 6 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(w.stats()).toMatchObject({ queued: 0, delivered: 0, dropped: 6, failed: 4 });
    expect(sink.attempts).toBe(6); // 3 attempts per batch, 2 batches
  });

  it('a slow receiver never blocks publish: 10 000 events publish while one delivery hangs', async () => {
    const sink = new FakeSink();
    sink.hold();
    const w = new DeliveryWorker(sink, { ...settings, queueSize: 1000 }, log);
    const events = new CallEvents('core-1', [w], log);
    const t = performance.now();
    for (let i = 0; i < 10_000; i++) events.publish('answered', recordedDialog());
    expect(performance.now() - t).toBeLessThan(1000);
    expect(w.stats()).toMatchObject({ queued: 1000, dropped: 8999 });
    sink.release();
    await vi.advanceTimersByTimeAsync(0);
    await w.idle();
    expect(w.stats()).toMatchObject({ queued: 0, delivered: 1001 });
  });
});

describe('DeliveryWorker.close', () => {
  it('with flushMs, queued events still go out; a hung receiver holds shutdown only flushMs', async () => {
    const sink = new FakeSink();
    const w = new DeliveryWorker(sink, { ...settings, queueSize: 100, batchSize: 1 }, log);
    const events = new CallEvents('core-1', [w], log);
    for (let i = 0; i < 5; i++) events.publish('ended', recordedDialog());
    await w.close(2000);
    expect(sink.batches).toHaveLength(5);
    events.publish('ended', recordedDialog()); // after close: ignored
    expect(w.stats().queued).toBe(0);

    vi.useFakeTimers();
    try {
      const hung = new FakeSink();
      hung.hold(); // never answers
      const w2 = new DeliveryWorker(hung, { ...settings, queueSize: 100 }, log);
      new CallEvents('core-1', [w2], log).publish('ended', recordedDialog());
      let closed = false;
      const closing = w2.close(100).then(() => (closed = true));
      await vi.advanceTimersByTimeAsync(99);
      expect(closed).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await closing;
      expect(closed).toBe(true);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('WebhookSink (real HTTP on loopback)', () => {
  let server: Server;
  let url: string;
  const received: { auth: string | undefined; body: unknown }[] = [];
  let status = 200;

  beforeEach(async () => {
    received.length = 0;
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => (body += d));
      req.on('end', () => {
        received.push({ auth: req.headers.authorization, body: JSON.parse(body) });
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  });
  afterEach(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('POSTs the batch as a JSON array with the bearer token; non-2xx rejects', async () => {
    const sink = new WebhookSink({ url, timeoutMs: 2000, token: 'tok' });
    const events = new CallEvents('core-1', [], log);
    const got: CallEvent[] = [];
    events.onEvent((e) => got.push(e));
    events.publish('answered', recordedDialog());
    await sink.deliver(got);
    expect(received).toEqual([{ auth: 'Bearer tok', body: [JSON.parse(JSON.stringify(got[0]))] }]);
    status = 503;
    await expect(sink.deliver(got)).rejects.toThrow('503');
  });

  it('a refused connection rejects (the worker retries)', async () => {
    const dead = new WebhookSink({ url: 'http://127.0.0.1:1/x', timeoutMs: 500 });
    await expect(dead.deliver([])).rejects.toThrow();
  });
});

describe('RedisStreamEventSink (real redis-server)', () => {
  it('XADDs each event in order with MAXLEN ~; a dead Redis rejects', async () => {
    const { TestRedis } = await import('./e2e/support/redis.js');
    const { createRedisClient } = await import('@strata/redis');
    const { RedisStreamEventSink } = await import('../src/events/redis-stream-sink.js');
    const server = await TestRedis.start();
    const redis = createRedisClient({ mode: 'standalone', host: '127.0.0.1', port: server.port });
    try {
      // no offline queue (a down Redis fails fast): wait for the connection
      if (redis.status !== 'ready') await new Promise((r) => redis.once('ready', r));
      const sink = new RedisStreamEventSink({ redis, stream: 'ev', maxLen: 100, owned: false });
      const events = new CallEvents('core-1', [], log);
      const got: CallEvent[] = [];
      events.onEvent((e) => got.push(e));
      for (let i = 0; i < 300; i++) events.publish(i === 0 ? 'created' : 'dtmf', recordedDialog());
      await sink.deliver(got.slice(0, 150));
      await sink.deliver(got.slice(150));
      const len = await redis.xlen('ev');
      // ~: trimmed, but never below the cap
      expect(len).toBeGreaterThanOrEqual(100);
      expect(len).toBeLessThan(300);
      const entries = await redis.xrange('ev', '-', '+');
      const seqs = entries.map(([, f]) => (JSON.parse(f[5]!) as CallEvent).seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(seqs.at(-1)).toBe(300);
      expect(entries[0]![1].slice(0, 4)).toEqual(['type', 'dtmf', 'callId', '1-4242@127.0.0.1']);
      await server.kill();
      await expect(sink.deliver(got.slice(0, 1))).rejects.toThrow();
    } finally {
      redis.disconnect();
      await server.kill();
    }
  });
});
