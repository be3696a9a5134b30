/**
 * The edge's request forward, end to end on loopback: a generator sends
 * INVITEs (1 024 Call-IDs in turn) to a real edge process (dist/main.js, one worker),
 * which forwards them to a "core" that only counts them and answers the
 * edge's OPTIONS probes. Reports the edge's CPU per forwarded INVITE —
 * validation, trust and flood checks, ring pick, stateless branch, flow
 * token, Record-Route, Via, send — from /proc/<pid>/stat (Linux; utime +
 * stime, all threads, 10 ms ticks), the median of ROUNDS windows of COUNT
 * INVITEs each. Every wait is bounded; the edge is killed at the end.
 *
 * BENCH_MODE=responses: the core also answers every INVITE with a 180
 * Ringing, which the edge routes back to the generator by its Vias (pop
 * ours, RFC 3261 §18.2.2 to the client's received/rport); a round then
 * counts 180s at the generator, and the CPU is per INVITE + 180.
 *
 * BENCH_TRUST=untrusted: the generator is not a trusted source, so every
 * INVITE also goes through what a client on the internet meets — the flood
 * limiter (its rate set far above the bench's), the scanner User-Agent
 * check and the open-relay check of the Request-URI's domain.
 *
 *   pnpm --filter @strata/edge bench
 *   BENCH_COUNT=100000 BENCH_ROUNDS=5 node bench/dist/bench/forward.bench.js
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const COUNT = Number(process.env.BENCH_COUNT ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WINDOW = 128; // INVITEs in flight
const ROUND_MS = 30_000;
const EDGE_MAIN = fileURLToPath(new URL('../../../dist/main.js', import.meta.url));
const TICK_US = 10_000; // CLK_TCK 100
const RESPONSES = process.env.BENCH_MODE === 'responses';
const UNTRUSTED = process.env.BENCH_TRUST === 'untrusted';

const sdp =
  'v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n' +
  't=0 0\r\nm=audio 49170 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n' +
  'a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n';

/** A softphone's INVITE behind NAT (rport), a new dialog each (no To tag). */
function invite(port: number, n: number): Buffer {
  return Buffer.from(
    'INVITE sip:bob@biloxi.example.com SIP/2.0\r\n' +
      `Via: SIP/2.0/UDP 127.0.0.1:${port};rport;branch=z9hG4bK776asdhds${n}\r\n` +
      'Max-Forwards: 70\r\n' +
      'To: Bob <sip:bob@biloxi.example.com>\r\n' +
      'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n' +
      `Call-ID: a84b4c76e66710-${n}@pc33.atlanta.example.com\r\n` +
      'CSeq: 314159 INVITE\r\n' +
      `Contact: <sip:alice@127.0.0.1:${port}>\r\n` +
      'Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY\r\n' +
      'Supported: replaces, timer\r\n' +
      'User-Agent: bench/1.0\r\n' +
      'Content-Type: application/sdp\r\n' +
      `Content-Length: ${sdp.length}\r\n\r\n${sdp}`,
    'latin1',
  );
}

/** A response to a request the core got: its Vias, From, To with a tag, Call-ID, CSeq. */
function answer(req: string, statusLine: string): Buffer {
  const lines = req.slice(0, req.indexOf('\r\n\r\n')).split('\r\n');
  const pick = (name: string): string[] =>
    lines.filter((l) => l.toLowerCase().startsWith(`${name}:`));
  const to = pick('to')[0] ?? 'To: <sip:core>';
  return Buffer.from(
    [
      statusLine,
      ...pick('via'),
      ...pick('from'),
      `${to};tag=bench`,
      ...pick('call-id'),
      ...pick('cseq'),
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
    'latin1',
  );
}

/** utime + stime of a process, µs (all its threads). */
function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

async function main(): Promise<void> {
  const core = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  const gen = dgram.createSocket('udp4');
  core.bind(0, '127.0.0.1');
  gen.bind(0, '127.0.0.1');
  await Promise.all([once(core, 'listening'), once(gen, 'listening')]);
  // what a round counts: INVITEs at the core, or (BENCH_MODE=responses) 180s at the generator
  let forwarded = 0;
  core.on('message', (buf, rinfo) => {
    if (buf[0] === 0x4f /* OPTIONS */) {
      core.send(answer(buf.toString('latin1'), 'SIP/2.0 200 OK'), rinfo.port, rinfo.address);
    } else if (RESPONSES) {
      core.send(answer(buf.toString('latin1'), 'SIP/2.0 180 Ringing'), rinfo.port, rinfo.address);
    } else forwarded++;
  });
  if (RESPONSES) gen.on('message', () => forwarded++);

  // the edge's port: a free one, taken and released just before it starts
  const probe = dgram.createSocket('udp4');
  probe.bind(0, '127.0.0.1');
  await once(probe, 'listening');
  const edgePort = probe.address().port;
  probe.close();

  const dir = mkdtempSync(join(tmpdir(), 'strata-edge-bench-'));
  const config = join(dir, 'edge.json');
  writeFileSync(
    config,
    JSON.stringify({
      nodeId: 'edge-bench',
      logLevel: 'warn',
      listen: [{ transport: 'udp', host: '127.0.0.1', port: edgePort }],
      cores: [{ id: 'core-1', uri: `sip:127.0.0.1:${core.address().port}` }],
      workers: 1,
      // room for the window (as the transport's relay bench): no drops at the socket
      udp: { recvBufferSize: 2 << 20 },
      status: { host: '127.0.0.1', port: 0 },
      ...(UNTRUSTED
        ? {
            domains: ['biloxi.example.com'],
            protection: { trusted: [], rateLimit: { ratePerSecond: 1e9, burst: 1e9 } },
          }
        : // loopback is the operator's own network here: no flood limits in the way
          { protection: { trusted: ['127.0.0.0/8'] } }),
    }),
  );
  const edge = spawn(process.execPath, [EDGE_MAIN], {
    env: { ...process.env, STRATA_CONFIG: config, NODE_ENV: 'production' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const pid = edge.pid!;
  const messages = Array.from({ length: 1024 }, (_, i) => invite(gen.address().port, i));
  let serial = 0;
  const next = (): Buffer => messages[serial++ & 1023]!;

  /** Send n INVITEs with WINDOW in flight; returns how many reached the core. */
  const pump = async (n: number): Promise<number> => {
    const start = forwarded;
    const t0 = Date.now();
    let sent = 0;
    let seen = forwarded;
    let progressAt = t0;
    while (forwarded - start < n && Date.now() - t0 < ROUND_MS) {
      const now = Date.now();
      if (forwarded !== seen) {
        seen = forwarded;
        progressAt = now;
      }
      // a lost datagram must not hold a window slot forever
      const stalled = now - progressAt > 50;
      if (stalled) progressAt = now;
      let inFlight = stalled ? 0 : sent - (forwarded - start);
      while (inFlight < WINDOW && sent < n) {
        gen.send(next(), edgePort, '127.0.0.1');
        sent++;
        inFlight++;
      }
      if (sent >= n && stalled) break;
      await new Promise((r) => setImmediate(r));
    }
    return forwarded - start;
  };

  try {
    // the edge is up once a forward reaches the core (its probe said the core is up)
    const upBy = Date.now() + 20_000;
    while (forwarded === 0) {
      if (Date.now() > upBy) throw new Error('the edge forwarded nothing within 20 s');
      if (edge.exitCode !== null) throw new Error(`the edge exited (${edge.exitCode})`);
      gen.send(next(), edgePort, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 100));
    }
    await pump(20_000); // warm-up (JIT), not measured
    const rounds: { us: number; rate: number; lost: number }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const c0 = cpuOf(pid);
      const t0 = process.hrtime.bigint();
      const n = await pump(COUNT);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const us = (cpuOf(pid) - c0) / n;
      rounds.push({ us, rate: n / seconds, lost: COUNT - n });
      console.log(
        `round ${r + 1}: ${n} forwarded (${COUNT - n} lost), ${Math.round(n / seconds)} INVITEs/s, ` +
          `${us.toFixed(2)} µs edge CPU per INVITE`,
      );
    }
    const median = (xs: number[]): number => {
      const s = [...xs].sort((a, b) => a - b);
      const m = s.length >> 1;
      return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
    };
    console.log(
      `\nedge forward, median of ${ROUNDS} rounds of ${COUNT} INVITEs${RESPONSES ? ' + 180s' : ''}${UNTRUSTED ? ', untrusted source' : ''} (window ${WINDOW}, load ${loadavg()[0]!.toFixed(2)}): ` +
        `${median(rounds.map((x) => x.us)).toFixed(2)} µs CPU per forwarded INVITE${RESPONSES ? ' + 180' : ''}, ` +
        `${Math.round(median(rounds.map((x) => x.rate)))} INVITEs/s`,
    );
  } finally {
    edge.kill('SIGKILL');
    core.close();
    gen.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
