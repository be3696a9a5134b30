/**
 * UDP forward loop: generator → relay (child process) → sink, on loopback.
 * Compares the SipTransport path (parse hot path + Via processing + Via push +
 * send) with a raw dgram relay measured in the same run. Bounded: COUNT
 * messages per round, at most ROUND_MS per round, ROUNDS rounds per mode,
 * interleaved so both modes see the same machine load.
 *
 *   pnpm --filter @strata/transport bench
 *   BENCH_COUNT=50000 BENCH_ROUNDS=5 node dist/bench/bench/udp-relay.js
 */
import { fork, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { invite } from './message.js';
import { pump, pumpPaced } from './pump.js';

// 100 000 per round: a 0.3 s window (30 000) let one run's per-round ratios
// spread over ±0.15, as its system time moves with the scheduler; longer
// windows mostly narrow that (README, "Session 4")
const COUNT = Number(process.env.BENCH_COUNT ?? 100_000);
// 15 rounds (was 5): a run's median of the per-round ratios moved by ±0.05
// from run to run with 5 rounds, ±0.04 with 9, ±0.02 with 15 (README, "Session 5")
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 128); // messages in flight: keeps the relay busy without overflowing its socket buffer
// BENCH_RATE > 0: open loop at that many messages/s instead of the window
// (same input for both relays, below what either can relay)
const RATE = Number(process.env.BENCH_RATE ?? 0);
// BENCH_CONTROL_US > 0: a third relay per round, the raw one busy-waiting that
// many µs per message (what the harness charges a relay for being slower)
const CONTROL_US = Number(process.env.BENCH_CONTROL_US ?? 0);
// BENCH_SINK=busy (default): the generator/sink process never sleeps in epoll
// (a setImmediate chain keeps its loop polling), so a relay's send never pays
// for waking it. With a sleeping sink (BENCH_SINK=sleep, the harness before
// the fourth round) that wake-up cost grows with the relay's own slowness:
// the raw relay + 3 µs of spin measured +3.7–4.1 µs, with a busy sink
// +2.9–3.1 µs (README, "Fourth round").
const BUSY_SINK = (process.env.BENCH_SINK ?? 'busy') === 'busy';
// BENCH_VIA=rport (default): the INVITE's Via asks for rport, so the relay
// fills rport and adds received to every message (a client behind NAT);
// BENCH_VIA=plain: the Via names the generator's own address and port, and
// the relay's server-side Via processing only checks it (RFC 3261 §18.2.1)
const RPORT = (process.env.BENCH_VIA ?? 'rport') === 'rport';
const ROUND_MS = 15_000;
// Messages relayed before counting starts, so TurboFan has compiled the hot
// path (its compiler thread is charged to the relay's cpuUsage). 200 was the
// old default: the JIT's one-off cost then lands in the measured window.
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5_000);
const worker = fileURLToPath(new URL('./relay-worker.js', import.meta.url));

interface Result {
  mode: string;
  relayed: number;
  lost: number;
  seconds: number;
  /** relay CPU per message, µs: user (our JS) and system (kernel, incl. loopback delivery) */
  user: number;
  system: number;
  /** garbage-collection pauses (perf_hooks 'gc' entries, wall time) per message, µs; part of user + system */
  gc: number;
  /** per 1000 messages: minor page faults, voluntary and involuntary context switches */
  faults: number;
  vcsw: number;
  ivcsw: number;
}

type Mode = 'raw' | 'sip' | 'spin';

async function round(mode: Mode, sink: dgram.Socket, gen: dgram.Socket): Promise<Result> {
  const child: ChildProcess = fork(
    worker,
    [mode, String(sink.address().port), String(CONTROL_US)],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [
        ...(process.env.BENCH_PROF === mode ? ['--cpu-prof', '--cpu-prof-dir=/tmp/relayprof'] : []),
        // diagnostics only (e.g. --trace-gc), given to both relays alike
        ...(process.env.BENCH_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? []),
      ],
    },
  );
  const [ready] = (await once(child, 'message')) as [{ port: number }];
  const relayPort = ready.port;
  const { port: genPort } = gen.address();
  const messages = Array.from({ length: 256 }, (_, i) => invite('127.0.0.1', genPort, i, RPORT));

  const load = (n: number, maxMs: number): Promise<{ received: number; lost: number }> =>
    RATE > 0
      ? pumpPaced(n, RATE, relayPort, sink, gen, messages, maxMs)
      : pump(n, relayPort, sink, gen, messages, maxMs, WINDOW);
  // warm-up (JIT), not measured
  await load(WARMUP, 15_000);
  child.send({ type: 'start' });
  await once(child, 'message'); // 'started': counters reset
  const t0 = process.hrtime.bigint();
  const { received, lost } = await load(COUNT, ROUND_MS);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  child.send({ type: 'report' });
  const [report] = (await once(child, 'message')) as [
    {
      count: number;
      user: number;
      system: number;
      gcMs: number;
      minorFaults: number;
      voluntarySwitches: number;
      involuntarySwitches: number;
    },
  ];
  await once(child, 'exit');
  return {
    mode,
    relayed: received,
    lost,
    seconds,
    user: report.user / report.count,
    system: report.system / report.count,
    gc: (1000 * report.gcMs) / report.count,
    faults: (1000 * report.minorFaults) / report.count,
    vcsw: (1000 * report.voluntarySwitches) / report.count,
    ivcsw: (1000 * report.involuntarySwitches) / report.count,
  };
}

async function main(): Promise<void> {
  const sink = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  const gen = dgram.createSocket('udp4');
  sink.bind(0, '127.0.0.1');
  gen.bind(0, '127.0.0.1');
  await Promise.all([once(sink, 'listening'), once(gen, 'listening')]);
  const load0 = loadavg()[0]!;
  let polling = BUSY_SINK;
  const poll = (): void => {
    if (polling) setImmediate(poll);
  };
  poll();
  const results: Result[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // the two relays of a round run back to back, so they share the
    // machine's load; the order alternates so neither always goes first
    const order: Mode[] = r % 2 === 0 ? ['raw', 'sip'] : ['sip', 'raw'];
    if (CONTROL_US > 0) order.push('spin');
    const pair: Partial<Record<Mode, Result>> = {};
    for (const mode of order) {
      const res = await round(mode, sink, gen);
      results.push(res);
      pair[mode] = res;
      console.log(
        `${mode.padEnd(4)} round ${r + 1}: ${Math.round(res.relayed / res.seconds)} msg/s, ` +
          `${(res.user + res.system).toFixed(2)} µs CPU/msg ` +
          `(user ${res.user.toFixed(2)}, sys ${res.system.toFixed(2)}; GC ${res.gc.toFixed(2)}), lost ${res.lost}; ` +
          `per 1000: ${res.faults.toFixed(1)} page faults, ` +
          `${res.vcsw.toFixed(0)}+${res.ivcsw.toFixed(0)} context switches`,
      );
    }
    ratios.push(cpu(pair.sip!) / cpu(pair.raw!));
  }
  polling = false;
  sink.close();
  gen.close();
  const pick = (mode: string): Result[] => results.filter((x) => x.mode === mode);
  const raw = pick('raw');
  const sip = pick('sip');
  const med = (rs: Result[], f: (r: Result) => number): number => median(rs.map(f));
  const line = (name: string, rs: Result[]): string =>
    `  ${name}: ${Math.round(med(rs, (x) => x.relayed / x.seconds))} msg/s, ` +
    `${med(rs, cpu).toFixed(2)} µs CPU/msg ` +
    `(user ${med(rs, (x) => x.user).toFixed(2)}, sys ${med(rs, (x) => x.system).toFixed(2)}; ` +
    `GC ${med(rs, (x) => x.gc).toFixed(2)}); ` +
    `per 1000: ${med(rs, (x) => x.faults).toFixed(1)} page faults, ` +
    `${med(rs, (x) => x.vcsw + x.ivcsw).toFixed(0)} context switches`;
  console.log(
    '\nmedians of %d rounds, %d messages each (after %d warm-up), %d-byte INVITE (Via %s), branch %s, %s, %s sink, load %s → %s:',
    ROUNDS,
    COUNT,
    WARMUP,
    invite('127.0.0.1', 5060, 0, RPORT).length,
    RPORT ? 'with rport: received/rport added' : 'without rport: nothing added',
    process.env.BENCH_BRANCH === 'counter' ? 'from a counter' : 'from a ring',
    RATE > 0 ? `open loop at ${RATE} msg/s` : `window ${WINDOW}`,
    BUSY_SINK ? 'busy' : 'sleeping',
    load0.toFixed(2),
    loadavg()[0]!.toFixed(2),
  );
  console.log(line('raw dgram relay', raw));
  console.log(line('SipTransport   ', sip));
  if (CONTROL_US > 0) console.log(line(`raw + ${CONTROL_US} µs spin`, pick('spin')));
  console.log(
    `  CPU ratio per round: ${ratios.map((x) => x.toFixed(2)).join(' ')}; ` +
      `median ${median(ratios).toFixed(2)}x ` +
      `(ratio of the medians: total ${(med(sip, cpu) / med(raw, cpu)).toFixed(2)}x, ` +
      `user ${(med(sip, (x) => x.user) / med(raw, (x) => x.user)).toFixed(2)}x; target ≤ 1.30x)`,
  );
}

function cpu(r: Result): number {
  return r.user + r.system;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

void main();
