/**
 * Dialog store benchmarks (ARCHITECTURE.md §3.7 "benchmarks are code").
 *
 *   cd packages/dialog
 *   ../../node_modules/.bin/tsc -p bench/tsconfig.json
 *   node --expose-gc bench/dist/bench/store-bench.js [dialogs=100000] [updates=5000]
 *
 * 1. Heap bytes per active confirmed dialog in MemoryDialogStore (target ≤ 1.5 KB).
 * 2. RedisDialogStore put/get latency per dialog update on loopback (target p99 ≤ 2 ms),
 *    against a throw-away redis-server, plus the replication lag seen by a second node.
 */
import { createDialogState } from '../src/state/create-dialog-state.js';
import type { DialogState } from '../src/state/dialog-state.js';
import { MemoryDialogStore } from '../src/store/memory-dialog-store.js';
import { RedisDialogStore } from '../src/store/redis-dialog-store.js';
import { RedisTestServer } from '../test/support/redis-server.js';

const DIALOGS = Number(process.argv[2] ?? 100_000);
const UPDATES = Number(process.argv[3] ?? 5_000);

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error('run with node --expose-gc');
  g();
  g();
}

/** A realistic confirmed dialog; JSON round trip yields flat strings, as a parser/Redis would. */
function confirmedDialog(i: number, now: number): DialogState {
  const rnd = Math.random().toString(36).slice(2, 12);
  const s = createDialogState({
    callId: `${rnd}${i.toString(36)}a7f3c9e1d2b4@10.20.30.40`,
    fromTag: `as${rnd}${i}`,
    toTag: null,
    callerUri: `sip:+4930${(1_000_000 + i).toString()}@carrier.example.com`,
    calleeUri: `sip:+4989${(2_000_000 + i).toString()}@pbx.example.net`,
    callerContact: `sip:+4930${i}@192.0.${i % 250}.${i % 200}:5060;transport=udp`,
    callerCseq: 102,
    callerSource: {
      host: `192.0.${i % 250}.${i % 200}`,
      port: 5060 + (i % 1000),
      transport: 'udp',
    },
    ownerNode: 'core-a',
    now,
  });
  const toTag = `b${rnd}${i}`;
  const confirmed: DialogState = {
    ...s,
    id: `${s.callId}:${s.fromTag}:${toTag}`,
    toTag,
    state: 'confirmed',
    version: 2,
    answeredAt: now + 3_000,
    caller: {
      ...s.caller,
      routeSet: ['<sip:10.1.0.1:5060;lr;r2=on>', '<sip:core-a.strata.internal;lr>'],
    },
    callee: {
      ...s.callee,
      contact: `sip:ext${i}@10.9.${i % 250}.7:5060`,
      cseq: 1,
      routeSet: ['<sip:core-a.strata.internal;lr>', '<sip:10.1.0.1:5060;lr;r2=on>'],
      source: { host: `10.9.${i % 250}.7`, port: 5060, transport: 'tcp' },
    },
    timers: {
      keepaliveDueAt: now + 30_000,
      sessionExpiresAt: now + 1_800_000,
      maxDurationAt: now + 14_400_000,
      earlyTimeoutAt: null,
    },
    sessionTimer: { expiresSec: 1800, refresher: 'uac' },
    disposition: { finalStatus: 200, hangupParty: null, reason: null },
  };
  return JSON.parse(JSON.stringify(confirmed)) as DialogState;
}

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

async function memoryBench(): Promise<void> {
  const now = Date.now();
  gc();
  const before = process.memoryUsage().heapUsed;
  const store = new MemoryDialogStore({ node: 'core-a', sweepIntervalMs: 0, now: () => now });
  for (let i = 0; i < DIALOGS; i++) store.putSync(confirmedDialog(i, now));
  gc();
  const after = process.memoryUsage().heapUsed;
  const perDialog = (after - before) / DIALOGS;
  const json = JSON.stringify(confirmedDialog(1, now)).length;
  console.log(
    `memory store: ${store.size} confirmed dialogs, ${((after - before) / 1048576).toFixed(1)} MiB heap, ` +
      `${perDialog.toFixed(0)} B/dialog (target ≤ 1536; JSON of one dialog is ${json} B)`,
  );
  await store.close();
}

async function redisBench(): Promise<void> {
  const server = await RedisTestServer.start();
  const config = { mode: 'standalone', host: server.host, port: server.port } as const;
  const a = new RedisDialogStore({ node: 'core-a', redis: config });
  const b = new RedisDialogStore({ node: 'core-b', redis: config });
  try {
    if (!(await a.whenReady()) || !(await b.whenReady())) throw new Error('redis not ready');
    const now = Date.now();
    const warm = 500;
    const putNs = new Float64Array(UPDATES);
    const getNs = new Float64Array(UPDATES);
    let s = confirmedDialog(0, now);
    await a.put(s);
    for (let i = -warm; i < UPDATES; i++) {
      // One in-dialog update: new CSeq on the caller side, next version.
      s = { ...s, version: s.version + 1, caller: { ...s.caller, cseq: s.caller.cseq + 1 } };
      const t0 = process.hrtime.bigint();
      const res = await a.put(s);
      const t1 = process.hrtime.bigint();
      const got = await b.get(s.id); // another node reading the update
      const t2 = process.hrtime.bigint();
      if (!res.ok || got?.version !== s.version) throw new Error('bench write not visible');
      if (i >= 0) {
        putNs[i] = Number(t1 - t0);
        getNs[i] = Number(t2 - t1);
      }
    }
    const ms = (ns: number): string => (ns / 1e6).toFixed(3);
    putNs.sort();
    getNs.sort();
    console.log(
      `redis put (CAS + index + publish): p50 ${ms(percentile(putNs, 0.5))} ms, ` +
        `p99 ${ms(percentile(putNs, 0.99))} ms, max ${ms(percentile(putNs, 1))} ms over ${UPDATES}`,
    );
    console.log(
      `redis get (other node):            p50 ${ms(percentile(getNs, 0.5))} ms, ` +
        `p99 ${ms(percentile(getNs, 0.99))} ms, max ${ms(percentile(getNs, 1))} ms`,
    );
    const lag = b.lagStats();
    console.log(
      `replication lag seen by node B:    p50 ${lag.p50.toFixed(3)} ms, p99 ${lag.p99.toFixed(3)} ms, ` +
        `max ${lag.max.toFixed(3)} ms (${lag.count} notifications)`,
    );
  } finally {
    await a.close();
    await b.close();
    await server.stop();
  }
}

await memoryBench();
await redisBench();
