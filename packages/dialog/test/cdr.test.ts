import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCdr, dispositionOf } from '../src/cdr/build-cdr.js';
import { CallbackCdrSink } from '../src/cdr/callback-cdr-sink.js';
import type { CdrRecord } from '../src/cdr/cdr-record.js';
import { CdrWriter } from '../src/cdr/cdr-writer.js';
import { JsonLinesCdrSink } from '../src/cdr/json-lines-cdr-sink.js';
import { RedisStreamCdrSink } from '../src/cdr/redis-stream-cdr-sink.js';
import type { DialogState } from '../src/state/dialog-state.js';
import { MemoryDialogStore } from '../src/store/memory-dialog-store.js';
import { RedisDialogStore } from '../src/store/redis-dialog-store.js';
import { bump, confirm, earlyDialog } from './support/fixtures.js';
import { RedisTestServer } from './support/redis-server.js';

const T0 = 1_700_000_000_000;

function ended(s: DialogState, at: number): DialogState {
  return bump(s, {
    state: 'terminated',
    endedAt: at,
    disposition: { ...s.disposition, hangupParty: 'callee', reason: null },
    transfer: {
      referredBy: 'other-call:a:b',
      replaces: null,
      replacedBy: null,
      referTo: null,
      referStatus: null,
    },
  });
}

function failed(
  status: number | null,
  hangupParty: 'caller' | 'proxy-timeout' | null = null,
): DialogState {
  const s = earlyDialog(1, T0);
  return bump(s, {
    state: 'terminated',
    disposition: { finalStatus: status, hangupParty, reason: null },
  });
}

describe('buildCdr', () => {
  it('fills an answered call: duration, billable seconds, parties, links', () => {
    const s = ended(confirm(earlyDialog(1, T0), T0 + 4_000), T0 + 65_500);
    const cdr = buildCdr(s, { coreNode: 'core-a', now: T0 + 99_000 });
    expect(cdr).toEqual({
      callId: s.callId,
      dialogId: s.id,
      fromUri: 'sip:alice1@example.com',
      toUri: 'sip:bob1@example.net',
      callerContact: 'sip:alice1@192.0.2.10:5060',
      calleeContact: 'sip:bob@198.51.100.7:5060',
      startedAt: T0,
      answeredAt: T0 + 4_000,
      endedAt: T0 + 65_500,
      durationMs: 65_500,
      durationSec: 66,
      billableMs: 61_500,
      billableSec: 62,
      disposition: 'ANSWERED',
      finalStatus: 200,
      hangupParty: 'callee',
      hangupReason: null,
      referredBy: 'other-call:a:b',
      replaces: null,
      replacedBy: null,
      referTo: null,
      referStatus: null,
      coreNode: 'core-a',
    } satisfies CdrRecord);
  });

  it('maps unanswered outcomes to dispositions', () => {
    expect(dispositionOf(failed(486))).toBe('BUSY');
    expect(dispositionOf(failed(600))).toBe('BUSY');
    expect(dispositionOf(failed(487))).toBe('CANCELLED');
    expect(dispositionOf(failed(null, 'caller'))).toBe('CANCELLED');
    expect(dispositionOf(failed(408))).toBe('NO ANSWER');
    expect(dispositionOf(failed(480))).toBe('NO ANSWER');
    expect(dispositionOf(failed(null, 'proxy-timeout'))).toBe('NO ANSWER');
    expect(dispositionOf(failed(503))).toBe('FAILED');
    const cdr = buildCdr(failed(486), { coreNode: 'n', now: T0 + 3_000 });
    expect(cdr).toMatchObject({ endedAt: T0 + 3_000, billableSec: 0, durationSec: 3 });
  });
});

describe('CdrWriter exactly once', () => {
  let server: RedisTestServer;
  let dir: string;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    server = await RedisTestServer.start();
    dir = await mkdtemp(join(tmpdir(), 'strata-cdr-'));
  });
  afterAll(async () => {
    for (const c of closers) await c();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('in memory: two writers racing on one call produce one JSON line', async () => {
    const store = new MemoryDialogStore({ node: 'embedded', sweepIntervalMs: 0 });
    const path = join(dir, 'memory.jsonl');
    const sink = new JsonLinesCdrSink(path);
    const seen: CdrRecord[] = [];
    const sinks = [sink, new CallbackCdrSink((r) => void seen.push(r))];
    const w1 = new CdrWriter({ store, sinks, coreNode: 'core-a', now: () => T0 + 70_000 });
    const w2 = new CdrWriter({ store, sinks, coreNode: 'core-b', now: () => T0 + 70_000 });
    closers.push(() => w1.close());

    const s = ended(confirm(earlyDialog(1, T0), T0 + 1_000), T0 + 61_000);
    const other = ended(confirm(earlyDialog(2, T0), T0 + 1_000), T0 + 2_000);
    const results = await Promise.all([w1.write(s), w2.write(s), w1.write(s), w2.write(other)]);
    expect(results.map((r) => r.written)).toEqual([true, false, false, true]);
    await w1.write(s);

    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const records = lines.map((l) => JSON.parse(l) as CdrRecord);
    expect(records.map((r) => r.callId).sort()).toEqual([s.callId, other.callId].sort());
    expect(records.find((r) => r.callId === s.callId)).toMatchObject({
      billableSec: 60,
      disposition: 'ANSWERED',
      coreNode: 'core-a',
    });
    expect(seen).toHaveLength(2);
  });

  it('on Redis: two nodes racing produce one stream entry', async () => {
    const config = { mode: 'standalone', host: server.host, port: server.port } as const;
    const a = new RedisDialogStore({ node: 'core-a', redis: config });
    const b = new RedisDialogStore({ node: 'core-b', redis: config });
    closers.push(
      () => a.close(),
      () => b.close(),
    );
    expect(await a.whenReady()).toBe(true);
    expect(await b.whenReady()).toBe(true);
    const stream = 'strata:cdr:test';
    const wa = new CdrWriter({
      store: a,
      sinks: [new RedisStreamCdrSink({ redis: a.redis, stream, maxLen: 1000 })],
      coreNode: 'core-a',
    });
    const wb = new CdrWriter({
      store: b,
      sinks: [new RedisStreamCdrSink({ redis: b.redis, stream, maxLen: 1000 })],
      coreNode: 'core-b',
    });

    const s = ended(confirm(earlyDialog(7, T0), T0 + 1_000), T0 + 10_000);
    const results = await Promise.all([wa.write(s), wb.write(s), wa.write(s), wb.write(s)]);
    expect(results.filter((r) => r.written)).toHaveLength(1);

    const raw = new Redis({ host: server.host, port: server.port });
    closers.push(() => Promise.resolve(raw.disconnect()));
    const entries = await raw.xrange(stream, '-', '+');
    expect(entries).toHaveLength(1);
    const fields = entries[0]![1];
    expect(fields.slice(0, 4)).toEqual(['callId', s.callId, 'disposition', 'ANSWERED']);
    const cdr = JSON.parse(fields[5]!) as CdrRecord;
    expect(cdr).toMatchObject({ callId: s.callId, billableSec: 9, durationSec: 10 });
  });

  it('a failing sink is reported, the others still get the record', async () => {
    const store = new MemoryDialogStore({ node: 'n', sweepIntervalMs: 0 });
    const seen: CdrRecord[] = [];
    const w = new CdrWriter({
      store,
      coreNode: 'n',
      sinks: [
        {
          name: 'broken',
          write: () => Promise.reject(new Error('disk full')),
          close: () => Promise.resolve(),
        },
        new CallbackCdrSink((r) => void seen.push(r)),
      ],
    });
    const res = await w.write(ended(earlyDialog(3, T0), T0 + 1));
    expect(res).toMatchObject({ written: true, failedSinks: ['broken'] });
    expect(seen).toHaveLength(1);
  });
});
