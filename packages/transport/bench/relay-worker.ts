/**
 * One relay process for the UDP forward-loop benchmark. Modes:
 * - raw: dgram in → dgram out, no parsing (the Node I/O floor);
 * - sip: SipTransport receive (parse hot path, received/rport) → push our Via
 *   → transport.sendOrElse to the next hop (the edge's forward send);
 * - spin: the raw relay plus a busy-wait of argv[4] µs per message, a control
 *   for what the harness charges a relay for being slower (see the README).
 * Reports its own CPU time (process.cpuUsage) over the messages it relayed.
 */
import dgram from 'node:dgram';
import { PerformanceObserver } from 'node:perf_hooks';
import { pino } from 'pino';
import { SipTransport } from '../src/sip-transport.js';
import { BRANCH_RING } from './message.js';

const mode = process.argv[2] as 'raw' | 'sip' | 'spin';
const sinkPort = Number(process.argv[3]);
const RCVBUF = 2 << 20; // same socket buffer for both modes
let count = 0;
let cpuStart: NodeJS.CpuUsage | null = null;
let ruStart: NodeJS.ResourceUsage | null = null;
// milliseconds of garbage collection (all kinds) since 'start'
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

function started(port: number): void {
  process.send!({ type: 'ready', port });
}

process.on('message', (m: { type: string }) => {
  if (m.type === 'start') {
    count = 0;
    gcMs = 0;
    cpuStart = process.cpuUsage();
    ruStart = process.resourceUsage();
    process.send!({ type: 'started' });
  } else if (m.type === 'report') {
    const cpu = process.cpuUsage(cpuStart ?? undefined);
    const ru = process.resourceUsage();
    const ru0 = ruStart ?? ru;
    process.send!(
      {
        type: 'report',
        count,
        user: cpu.user,
        system: cpu.system,
        gcMs,
        // kernel-side costs the CPU time does not explain by itself
        minorFaults: ru.minorPageFault - ru0.minorPageFault,
        voluntarySwitches: ru.voluntaryContextSwitches - ru0.voluntaryContextSwitches,
        involuntarySwitches: ru.involuntaryContextSwitches - ru0.involuntaryContextSwitches,
      },
      () => process.exit(0),
    );
  }
});

if (mode === 'raw' || mode === 'spin') {
  // BENCH_RAW_LOOKUP=literal: the raw relay answers dgram's address lookup at
  // once, as SipTransport's UDP sockets do (dns.lookup costs a nextTick per send)
  const lookup =
    process.env.BENCH_RAW_LOOKUP === 'literal'
      ? (host: string, _o: unknown, cb: (e: null, a: string, f: number) => void): void =>
          cb(null, host, 4)
      : undefined;
  const s = dgram.createSocket({
    type: 'udp4',
    recvBufferSize: RCVBUF,
    ...(lookup ? { lookup } : {}),
  });
  const spinNs = mode === 'spin' ? BigInt(Math.round(Number(process.argv[4]) * 1000)) : 0n;
  s.on('message', (buf) => {
    count++;
    if (spinNs > 0n) {
      const until = process.hrtime.bigint() + spinNs;
      while (process.hrtime.bigint() < until);
    }
    s.send(buf, sinkPort, '127.0.0.1');
  });
  s.bind(0, '127.0.0.1', () => started(s.address().port));
} else {
  const t = new SipTransport({
    logger: pino({ level: 'silent' }),
    listeners: [{ transport: 'udp', address: '127.0.0.1', port: 0, recvBufferSize: RCVBUF }],
  });
  const dest = { transport: 'udp' as const, address: '127.0.0.1', port: sinkPort };
  let viaPrefix = '';
  let branch = 0;
  // BENCH_BRANCH=ring (default): the branch's unique part from BRANCH_RING.
  // BENCH_BRANCH=counter: a counter turned into a string per message, as the
  // bench did until session 5: this relay's scavenges then took ≈ 0.85 ms
  // instead of ≈ 0.3 ms (README, "Session 5").
  const counter = process.env.BENCH_BRANCH === 'counter';
  const failed = (): void => undefined;
  t.onMessage((msg) => {
    count++;
    if (!msg.isRequest) return;
    // RFC 3261 §16.6 item 8: our Via on top, a fresh branch
    const unique = counter ? `${++branch}` : BRANCH_RING[++branch & 4095]!;
    msg.headers.prepend('Via', viaPrefix + unique);
    t.sendOrElse(msg, dest, failed);
  });
  void t.start().then(() => {
    const via = t.viaFor(dest);
    viaPrefix = `SIP/2.0/${via.transport} ${via.host}:${via.port};branch=z9hG4bKbench`;
    started(t.listener('udp')!.port);
  });
}
