#!/usr/bin/env node
/**
 * pnpm bench:sipp — sipp UAC → edge → core → sipp UAS on loopback, for Strata
 * (apps/edge + apps/core, built) and for Kamailio 5.6 with the equivalent configs
 * in infra/bench/kamailio/, at fixed call rates. Node built-ins only.
 *
 * Per run (fresh processes each time): CPU µs per call of the edge and of the core
 * (utime+stime from /proc/<pid>/stat, every process of the tier's tree summed),
 * failed calls, retransmissions (sipp stats CSV of the UAC and the UAS), INVITE→200
 * response time p50/p99 (sipp -trace_rtt, one line per call).
 *
 * Options (flag or env):
 *   --rates=500,1000,2000      BENCH_RATES      calls per second, one run per rate and system
 *   --duration=10              BENCH_DURATION   seconds of traffic per run (calls = rate × duration)
 *   --calls=N                  BENCH_CALLS      fixed call count per run (overrides --duration)
 *   --systems=strata,kamailio  BENCH_SYSTEMS
 *   --call-ms=100              BENCH_CALL_MS    call length (sipp -d)
 *   --warmup=2                 BENCH_WARMUP     seconds of warm-up traffic (≤ 250 cps) before measuring, 0 = none
 *   --settle=5                 BENCH_SETTLE     seconds after the last call still counted (timers, GC, frees)
 *   --base-port=21000          BENCH_BASE_PORT  run i uses base+10i … base+10i+4
 *   --out=bench-results        BENCH_OUT        JSON + SVG + per-run sipp files (git-ignored)
 *   --no-latest                BENCH_NO_LATEST=1  don't update infra/bench/latest.{json,svg}
 *   --max-minutes=30           BENCH_MAX_MINUTES  whole-run deadline
 *   --report=FILE.json         BENCH_REPORT     only re-print the table and redraw FILE.svg of an earlier run
 *   BENCH_KAMAILIO=kamailio, BENCH_SIPP=sipp: binaries.
 */
import { spawn, execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const SIPP_DIR = path.join(ROOT, 'infra/sipp');
const EDGE_MAIN = path.join(ROOT, 'apps/edge/dist/main.js');
const CORE_MAIN = path.join(ROOT, 'apps/core/dist/main.js');

// ---- options -------------------------------------------------------------------------------

function option(name, env, dflt) {
  const flag = process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (flag !== undefined) return flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : 'true';
  if (process.env[env] !== undefined && process.env[env] !== '') return process.env[env];
  return dflt;
}
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  const src = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8');
  process.stdout.write(
    src.slice(src.indexOf('/**') + 3, src.indexOf('*/')).replace(/^ \* ?/gm, ''),
  );
  process.exit(0);
}
const num = (v, what) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`bad ${what}: ${v}`);
  return n;
};
const OPT = {
  rates: String(option('rates', 'BENCH_RATES', '500,1000,2000'))
    .split(',')
    .map((r) => num(r.trim(), 'rate'))
    .filter((r) => r > 0),
  duration: num(option('duration', 'BENCH_DURATION', '10'), 'duration'),
  calls:
    option('calls', 'BENCH_CALLS', '') === ''
      ? null
      : num(option('calls', 'BENCH_CALLS', ''), 'calls'),
  systems: String(option('systems', 'BENCH_SYSTEMS', 'strata,kamailio'))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
  callMs: num(option('call-ms', 'BENCH_CALL_MS', '100'), 'call-ms'),
  warmup: num(option('warmup', 'BENCH_WARMUP', '2'), 'warmup'),
  settle: num(option('settle', 'BENCH_SETTLE', '5'), 'settle'),
  basePort: num(option('base-port', 'BENCH_BASE_PORT', '21000'), 'base-port'),
  out: path.resolve(ROOT, option('out', 'BENCH_OUT', 'bench-results')),
  latest: !(process.argv.includes('--no-latest') || process.env.BENCH_NO_LATEST === '1'),
  maxMinutes: num(option('max-minutes', 'BENCH_MAX_MINUTES', '30'), 'max-minutes'),
  kamailio: process.env.BENCH_KAMAILIO || 'kamailio',
  sipp: process.env.BENCH_SIPP || 'sipp',
};
for (const s of OPT.systems)
  if (s !== 'strata' && s !== 'kamailio') throw new Error(`unknown system ${s}`);
if (OPT.rates.length === 0) throw new Error('no rates');

// ---- process bookkeeping: every child in its own process group, all killed at the end ------

const children = new Set();

function start(name, cmd, args, opts) {
  const out = fs.openSync(path.join(opts.cwd, `${name}.out.log`), 'w');
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', out, out],
    detached: true, // own process group: kill(-pid) reaches forked workers too
  });
  fs.closeSync(out);
  const rec = { name, child, pid: child.pid, exited: false, code: null, signal: null };
  rec.exit = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      rec.exited = true;
      rec.code = code;
      rec.signal = signal;
      children.delete(rec);
      resolve({ code, signal });
    });
    child.on('error', (err) => {
      rec.exited = true;
      rec.error = err;
      children.delete(rec);
      resolve({ code: null, signal: null, error: err });
    });
  });
  children.add(rec);
  return rec;
}

function signalGroup(rec, sig) {
  if (rec.pid === undefined) return;
  try {
    process.kill(-rec.pid, sig);
  } catch {
    try {
      process.kill(rec.pid, sig);
    } catch {
      /* gone */
    }
  }
}

async function stop(rec, graceMs = 3000) {
  if (rec.exited) {
    signalGroup(rec, 'SIGKILL'); // leftover group members (forked workers)
    return;
  }
  signalGroup(rec, 'SIGTERM');
  const killed = await Promise.race([rec.exit.then(() => true), sleep(graceMs).then(() => false)]);
  signalGroup(rec, 'SIGKILL');
  if (!killed) await Promise.race([rec.exit, sleep(1000)]);
}

async function stopAll() {
  await Promise.all([...children].map((c) => stop(c)));
}

process.on('exit', () => {
  for (const c of children) signalGroup(c, 'SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    process.stderr.write(`\nbench: ${sig}, stopping every process it started\n`);
    void stopAll().finally(() => process.exit(130));
  });
}

// ---- /proc ---------------------------------------------------------------------------------

let CLK_TCK = 100;
try {
  CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  /* 100 on Linux */
}

function procStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // f[0] = field 3 (state); utime = field 14, stime = field 15, ppid = field 4
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}

/** pid and every descendant */
function tree(rootPid) {
  const byParent = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = procStat(d);
    if (st === null) continue;
    if (!byParent.has(st.ppid)) byParent.set(st.ppid, []);
    byParent.get(st.ppid).push(Number(d));
  }
  const out = [];
  const todo = [rootPid];
  while (todo.length > 0 && out.length < 1000) {
    const p = todo.pop();
    out.push(p);
    for (const c of byParent.get(p) ?? []) todo.push(c);
  }
  return out;
}

/** utime+stime (ticks) per pid of the trees */
function cpuSnapshot(rootPids) {
  const snap = new Map();
  for (const root of rootPids)
    for (const p of tree(root)) {
      const st = procStat(p);
      if (st !== null) snap.set(p, st.ticks);
    }
  return snap;
}

function cpuDeltaUs(before, after) {
  let ticks = 0;
  for (const [pid, t] of after) ticks += t - (before.get(pid) ?? 0);
  return (ticks * 1e6) / CLK_TCK;
}

function machineCpu() {
  const line = fs
    .readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const idle = line[3] + (line[4] ?? 0);
  const total = line.slice(0, 8).reduce((a, b) => a + b, 0);
  return { idle, total };
}

/**
 * Datagrams the kernel dropped on each UDP socket bound to one of `ports` because its receive
 * buffer was full (the last column of /proc/net/udp, per socket): which process could not keep
 * up, where a sipp failure count alone does not say.
 */
function udpDrops(ports) {
  const out = Object.fromEntries(Object.keys(ports).map((k) => [k, 0]));
  const byPort = new Map(Object.entries(ports).map(([k, v]) => [v, k]));
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 13) continue;
      const name = byPort.get(parseInt(f[1].split(':')[1], 16));
      if (name !== undefined) out[name] += Number(f[f.length - 1]) || 0;
    }
  }
  return out;
}

const loadavg = () => os.loadavg().map((l) => Math.round(l * 100) / 100);

// ---- readiness: an OPTIONS through edge → core → UAS must come back 200 --------------------

function optionsOnce(port, timeoutMs) {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const done = (v) => {
      clearTimeout(timer);
      try {
        sock.close();
      } catch {
        /* closed */
      }
      resolve(v);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    sock.on('error', () => done(null));
    sock.on('message', (m) => {
      const first = m.toString('latin1').split('\r\n')[0];
      const code = Number(first.split(' ')[1]);
      if (code >= 200) done(code);
    });
    sock.bind(0, '127.0.0.1', () => {
      const lp = sock.address().port;
      const id = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const msg =
        `OPTIONS sip:bench-probe@127.0.0.1:${port} SIP/2.0\r\n` +
        `Via: SIP/2.0/UDP 127.0.0.1:${lp};branch=z9hG4bK-bench-${id};rport\r\n` +
        `From: <sip:bench@127.0.0.1:${lp}>;tag=${id}\r\n` +
        `To: <sip:bench-probe@127.0.0.1:${port}>\r\n` +
        `Call-ID: bench-${id}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n` +
        `Contact: <sip:bench@127.0.0.1:${lp}>\r\nContent-Length: 0\r\n\r\n`;
      sock.send(msg, port, '127.0.0.1', (err) => {
        if (err) done(null);
      });
    });
  });
}

async function waitPath(port, procs, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  while (Date.now() < deadline) {
    for (const p of procs)
      if (p.exited) throw new Error(`${p.name} exited early (code ${p.code}); see its .out.log`);
    last = await optionsOnce(port, 500);
    if (last === 200) return;
    await sleep(200);
  }
  throw new Error(
    `no 200 to an OPTIONS through edge → core → UAS within ${timeoutMs} ms (last: ${last})`,
  );
}

// ---- the systems ---------------------------------------------------------------------------

async function startStrata(dir, ports) {
  const core = {
    nodeId: 'core-1',
    logLevel: 'warn',
    listen: [{ transport: 'udp', host: '127.0.0.1', port: ports.core }],
    store: { kind: 'memory' },
    mediaGroups: { media: { targets: [{ uri: `sip:127.0.0.1:${ports.uas}` }] } },
    dialog: { keepaliveIntervalSeconds: 0 },
    cdr: { file: '' },
    status: { host: '127.0.0.1', port: 0 },
  };
  const edge = {
    nodeId: 'edge-1',
    logLevel: 'warn',
    listen: [{ transport: 'udp', host: '127.0.0.1', port: ports.edge }],
    cores: [{ id: 'core-1', uri: `sip:127.0.0.1:${ports.core}` }],
    workers: 1,
    status: { host: '127.0.0.1', port: 0 },
    protection: { trusted: ['127.0.0.0/8'] },
  };
  fs.writeFileSync(path.join(dir, 'core.json'), JSON.stringify(core, null, 2));
  fs.writeFileSync(path.join(dir, 'edge.json'), JSON.stringify(edge, null, 2));
  const env = (file) => {
    const e = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STRATA_')) e[k] = v;
    e.STRATA_CONFIG = path.join(dir, file);
    e.NODE_ENV = 'production';
    return e;
  };
  const coreP = start('core', process.execPath, [CORE_MAIN], { cwd: dir, env: env('core.json') });
  const edgeP = start('edge', process.execPath, [EDGE_MAIN], { cwd: dir, env: env('edge.json') });
  return { core: coreP, edge: edgeP };
}

async function startKamailio(dir, ports) {
  const tier = (name, port, target) => {
    const list = path.join(dir, `${name}-dispatcher.list`);
    fs.writeFileSync(list, `1 sip:127.0.0.1:${target}\n`);
    const rt = path.join(dir, `${name}-run`);
    fs.mkdirSync(rt, { recursive: true });
    return start(
      name,
      OPT.kamailio,
      [
        '-f',
        path.join(HERE, 'kamailio', `${name}.cfg`),
        '-DD',
        '-E',
        '-l',
        `udp:127.0.0.1:${port}`,
        '-Y',
        rt,
        '-A',
        `DS_LIST="${list}"`,
        '-m',
        '1024',
        '-M',
        '16',
      ],
      { cwd: dir },
    );
  };
  const core = tier('core', ports.core, ports.uas);
  const edge = tier('edge', ports.edge, ports.core);
  return { core, edge };
}

// ---- sipp ----------------------------------------------------------------------------------

function parseStatCsv(file) {
  if (!fs.existsSync(file)) return null;
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  if (lines.length < 2) return null;
  const head = lines[0].split(';');
  const last = lines[lines.length - 1].split(';');
  const get = (k) => Number(last[head.indexOf(k)] ?? NaN);
  return {
    outgoing: get('OutgoingCall(C)'),
    incoming: get('IncomingCall(C)'),
    successful: get('SuccessfulCall(C)'),
    failed: get('FailedCall(C)'),
    retransmissions: get('Retransmissions(C)'),
    failedMaxUdpRetrans: get('FailedMaxUDPRetrans(C)'),
    failedUnexpected: get('FailedUnexpectedMessage(C)'),
    failedTimeoutOnRecv: get('FailedTimeoutOnRecv(C)'),
    deadCallMsgs: get('DeadCallMsgs(C)'),
    outOfCallMsgs: get('OutOfCallMsgs(C)'),
  };
}

function findRtt(dir) {
  const f = fs.readdirSync(dir).find((n) => /^uac_\d+_rtt\.csv$/.test(n));
  if (f === undefined) return [];
  const rows = [];
  for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n').slice(1)) {
    const [t, rt, no] = line.split(';');
    if (no === undefined) continue;
    rows.push({ t: Number(t), ms: Number(rt), rtd: Number(no) });
  }
  return rows;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

// ---- one run -------------------------------------------------------------------------------

let runIndex = 0;

async function runOne(system, rate, runDir) {
  const i = runIndex++;
  const base = OPT.basePort + i * 10;
  const ports = { edge: base, core: base + 1, uas: base + 2, uac: base + 3, warm: base + 4 };
  fs.mkdirSync(runDir, { recursive: true });
  const calls = OPT.calls ?? Math.max(1, Math.round(rate * OPT.duration));
  const result = { system, rate, calls, ports, dir: path.relative(ROOT, runDir) };
  const startedHere = [];
  try {
    const uas = start(
      'uas',
      OPT.sipp,
      [
        '-sf',
        path.join(SIPP_DIR, 'uas.xml'),
        '-aa',
        '-i',
        '127.0.0.1',
        '-p',
        String(ports.uas),
        '-nostdin',
        '-buff_size',
        '4194304',
        '-trace_stat',
        '-stf',
        'uas_stat.csv',
        '-fd',
        '1',
        '-trace_err',
        '-error_file',
        'uas_errors.log',
      ],
      { cwd: runDir },
    );
    startedHere.push(uas);
    await sleep(300);
    const tiers =
      system === 'strata' ? await startStrata(runDir, ports) : await startKamailio(runDir, ports);
    startedHere.push(tiers.core, tiers.edge);
    await waitPath(ports.edge, [uas, tiers.core, tiers.edge]);

    // idle cost (probes, timers) over 1 s, for reference: not subtracted from the per-call numbers
    {
      const e0 = cpuSnapshot([tiers.edge.pid]);
      const c0 = cpuSnapshot([tiers.core.pid]);
      const ti = Date.now();
      await sleep(1000);
      const s = (Date.now() - ti) / 1000;
      result.idleUsPerS = {
        edge: round(cpuDeltaUs(e0, cpuSnapshot([tiers.edge.pid])) / s, 0),
        core: round(cpuDeltaUs(c0, cpuSnapshot([tiers.core.pid])) / s, 0),
      };
    }

    if (OPT.warmup > 0) {
      const wr = Math.min(rate, 250);
      const wcalls = Math.max(1, Math.round(wr * OPT.warmup));
      const warm = start(
        'uac-warmup',
        OPT.sipp,
        [
          '-sf',
          path.join(SIPP_DIR, 'uac.xml'),
          `127.0.0.1:${ports.edge}`,
          '-i',
          '127.0.0.1',
          '-p',
          String(ports.warm),
          '-nostdin',
          '-r',
          String(wr),
          '-m',
          String(wcalls),
          '-d',
          String(OPT.callMs),
          '-timeout',
          `${Math.ceil(OPT.warmup + 20)}s`,
          '-timeout_error',
        ],
        { cwd: runDir },
      );
      startedHere.push(warm);
      const r = await Promise.race([warm.exit, sleep((OPT.warmup + 30) * 1000).then(() => null)]);
      if (r === null) await stop(warm);
      result.warmup = { calls: wcalls, rate: wr, exit: r?.code ?? 'killed' };
      await sleep(1000);
    }

    const tierRoots = { edge: [tiers.edge.pid], core: [tiers.core.pid] };
    const cpu0 = {
      edge: cpuSnapshot(tierRoots.edge),
      core: cpuSnapshot(tierRoots.core),
      uas: cpuSnapshot([uas.pid]),
    };
    const m0 = machineCpu();
    const socketPorts = { edge: ports.edge, core: ports.core, uas: ports.uas };
    const drops0 = udpDrops(socketPorts);
    result.loadBefore = loadavg();
    const t0 = Date.now();
    const expectS = calls / rate + OPT.callMs / 1000;
    const uacTimeoutS = Math.ceil(expectS + 40);
    const uac = start(
      'uac',
      OPT.sipp,
      [
        '-sf',
        path.join(SIPP_DIR, 'uac.xml'),
        `127.0.0.1:${ports.edge}`,
        '-i',
        '127.0.0.1',
        '-p',
        String(ports.uac),
        '-nostdin',
        '-r',
        String(rate),
        '-m',
        String(calls),
        '-d',
        String(OPT.callMs),
        '-l',
        String(Math.max(1000, rate * 10)),
        '-buff_size',
        '4194304',
        '-timeout',
        `${uacTimeoutS}s`,
        '-timeout_error',
        '-trace_stat',
        '-stf',
        'uac_stat.csv',
        '-fd',
        '1',
        '-trace_rtt',
        '-rtt_freq',
        '1',
        '-trace_err',
        '-error_file',
        'uac_errors.log',
        '-max_log_size',
        '2000000',
      ],
      { cwd: runDir },
    );
    startedHere.push(uac);
    const uacSnap0 = cpuSnapshot([uac.pid]);
    const uacCpuCarry = { last: uacSnap0 };
    // sample sipp's own CPU while it runs (its pid disappears at exit)
    const sampler = setInterval(() => {
      if (!uac.exited) uacCpuCarry.last = cpuSnapshot([uac.pid]);
    }, 250);
    const uacExit = await Promise.race([
      uac.exit,
      sleep((uacTimeoutS + 15) * 1000).then(() => null),
    ]);
    clearInterval(sampler);
    if (uacExit === null) {
      await stop(uac);
      result.uacKilled = true;
    }
    result.uacExit = uacExit?.code ?? null;
    result.wallS = (Date.now() - t0) / 1000;
    await sleep(OPT.settle * 1000);
    const cpu1 = {
      edge: cpuSnapshot(tierRoots.edge),
      core: cpuSnapshot(tierRoots.core),
      uas: cpuSnapshot([uas.pid]),
    };
    const m1 = machineCpu();
    const drops1 = udpDrops(socketPorts);
    result.udpDrops = Object.fromEntries(
      Object.keys(socketPorts).map((k) => [k, drops1[k] - drops0[k]]),
    );
    result.loadAfter = loadavg();
    result.machineBusyPct =
      Math.round((1 - (m1.idle - m0.idle) / Math.max(1, m1.total - m0.total)) * 1000) / 10;
    result.processes = {
      edge: [...cpu1.edge.keys()].length,
      core: [...cpu1.core.keys()].length,
    };
    result.alive = { edge: !tiers.edge.exited, core: !tiers.core.exited, uas: !uas.exited };

    const uacStats = parseStatCsv(path.join(runDir, 'uac_stat.csv'));
    // the UAS stats file is written every second: the settle period covers the last line
    const uasStats = parseStatCsv(path.join(runDir, 'uas_stat.csv'));
    const attempted = uacStats?.outgoing || calls;
    const edgeUs = cpuDeltaUs(cpu0.edge, cpu1.edge);
    const coreUs = cpuDeltaUs(cpu0.core, cpu1.core);
    result.cpu = {
      edgeUsPerCall: round(edgeUs / attempted, 1),
      coreUsPerCall: round(coreUs / attempted, 1),
      uasUsPerCall: round(cpuDeltaUs(cpu0.uas, cpu1.uas) / attempted, 1),
      uacUsPerCall: round(cpuDeltaUs(uacSnap0, uacCpuCarry.last) / attempted, 1),
      edgeCpuS: round(edgeUs / 1e6, 3),
      coreCpuS: round(coreUs / 1e6, 3),
      measuredS: round(result.wallS + OPT.settle, 2),
      clkTck: CLK_TCK,
    };
    const successful = uacStats?.successful ?? 0;
    result.sipp = {
      attempted,
      successful,
      failed: uacStats?.failed ?? null,
      // calls never completed (e.g. the UAC hit -timeout): counted as failed too
      unfinished: Math.max(0, calls - successful - (uacStats?.failed ?? 0)),
      uacRetransmissions: uacStats?.retransmissions ?? null,
      uasRetransmissions: uasStats?.retransmissions ?? null,
      uasIncoming: uasStats?.incoming ?? null,
      uasFailed: uasStats?.failed ?? null,
      failedMaxUdpRetrans: uacStats?.failedMaxUdpRetrans ?? null,
      failedUnexpected: uacStats?.failedUnexpected ?? null,
    };
    result.failedCalls = Math.max(0, calls - successful);
    const rtt = findRtt(runDir).filter((r) => r.rtd === 1);
    const sorted = rtt.map((r) => r.ms).sort((a, b) => a - b);
    const span = rtt.length > 1 ? (rtt[rtt.length - 1].t - rtt[0].t) / 1000 : 0;
    result.latencyMs = {
      samples: sorted.length,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted.length ? sorted[sorted.length - 1] : null,
      mean: sorted.length ? round(sorted.reduce((a, b) => a + b, 0) / sorted.length, 2) : null,
    };
    result.achievedCps = span > 0 ? round((rtt.length - 1) / span, 0) : null;
  } catch (err) {
    result.error = String(err?.message ?? err);
  } finally {
    await Promise.all(startedHere.map((p) => stop(p)));
  }
  return result;
}

const round = (v, d) => Math.round(v * 10 ** d) / 10 ** d;

// ---- output --------------------------------------------------------------------------------

function pad(s, n, right = false) {
  s = String(s);
  return right ? s.padEnd(n) : s.padStart(n);
}

function table(runs) {
  const lines = [];
  const hdr = [
    ['rate', 6],
    ['system', 9],
    ['calls', 7],
    ['failed', 7],
    ['retx uac/uas', 13],
    ['drops e/c/u', 12],
    ['ok cps', 8],
    ['edge µs/call', 13],
    ['core µs/call', 13],
    ['p50 ms', 7],
    ['p99 ms', 7],
    ['busy%', 6],
    ['load 1m', 8],
  ];
  lines.push(hdr.map(([h, n], i) => pad(h, n, i === 1)).join(' '));
  for (const r of runs) {
    if (r.error) {
      lines.push(`${pad(r.rate, 6)} ${pad(r.system, 9, true)} error: ${r.error}`);
      continue;
    }
    lines.push(
      [
        pad(r.rate, 6),
        pad(r.system, 9, true),
        pad(r.calls, 7),
        pad(r.failedCalls, 7),
        pad(`${r.sipp.uacRetransmissions}/${r.sipp.uasRetransmissions}`, 13),
        pad(r.udpDrops ? `${r.udpDrops.edge}/${r.udpDrops.core}/${r.udpDrops.uas}` : '-', 12),
        pad(r.achievedCps ?? '-', 8),
        pad(r.cpu.edgeUsPerCall, 13),
        pad(r.cpu.coreUsPerCall, 13),
        pad(r.latencyMs.p50 ?? '-', 7),
        pad(r.latencyMs.p99 ?? '-', 7),
        pad(r.machineBusyPct, 6),
        pad(r.loadBefore[0], 8),
      ].join(' '),
    );
  }
  return lines.join('\n');
}

function ratios(runs) {
  const out = [];
  for (const rate of OPT.rates) {
    const s = runs.find((r) => r.system === 'strata' && r.rate === rate && !r.error);
    const k = runs.find((r) => r.system === 'kamailio' && r.rate === rate && !r.error);
    if (!s || !k) continue;
    // sipp's clock is in whole ms: a 0 ms percentile (< 1 ms) gives no ratio
    const q = (a, b) => (a != null && b ? round(a / b, 2) : null);
    out.push({
      rate,
      edgeCpu: q(s.cpu.edgeUsPerCall, k.cpu.edgeUsPerCall),
      coreCpu: q(s.cpu.coreUsPerCall, k.cpu.coreUsPerCall),
      p50: q(s.latencyMs.p50, k.latencyMs.p50),
      p99: q(s.latencyMs.p99, k.latencyMs.p99),
      failed: { strata: s.failedCalls, kamailio: k.failedCalls },
    });
  }
  return out;
}

function ratioTable(rs) {
  const lines = ['Strata / Kamailio'];
  lines.push(
    ['rate', 'edge CPU', 'core CPU', 'p50', 'p99', 'failed S/K']
      .map((h, i) => pad(h, i === 0 ? 6 : 10))
      .join(' '),
  );
  for (const r of rs)
    lines.push(
      [
        pad(r.rate, 6),
        pad(r.edgeCpu === null ? '-' : `${r.edgeCpu}×`, 10),
        pad(r.coreCpu === null ? '-' : `${r.coreCpu}×`, 10),
        pad(r.p50 === null ? '-' : `${r.p50}×`, 10),
        pad(r.p99 === null ? '-' : `${r.p99}×`, 10),
        pad(`${r.failed.strata}/${r.failed.kamailio}`, 10),
      ].join(' '),
    );
  return lines.join('\n');
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Two panels: CPU µs/call (edge, core) and p99 ms, against the rate; hand-written SVG. */
function svgChart(doc) {
  const W = 960,
    H = 440,
    panelW = 400,
    panelH = 280,
    top = 70,
    lefts = [70, 545];
  const runs = doc.runs.filter((r) => !r.error);
  const rates = [...new Set(runs.map((r) => r.rate))].sort((a, b) => a - b);
  const colors = { strata: '#1f77b4', kamailio: '#d62728' };
  const series = (metric) => {
    const out = [];
    for (const sys of ['strata', 'kamailio'])
      for (const tier of metric === 'cpu' ? ['edge', 'core'] : ['p99'])
        out.push({
          sys,
          tier,
          pts: rates
            .map((rate) => {
              const r = runs.find((x) => x.system === sys && x.rate === rate);
              if (!r) return null;
              const y = metric === 'cpu' ? r.cpu[`${tier}UsPerCall`] : r.latencyMs.p99;
              return y == null ? null : { x: rate, y, failed: r.failedCalls };
            })
            .filter(Boolean),
        });
    return out;
  };
  const niceMax = (v) => {
    if (!(v > 0)) return 1;
    const p = 10 ** Math.floor(Math.log10(v));
    for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (v <= m * p) return m * p;
    return 10 * p;
  };
  const xmin = 0,
    xmax = niceMax(Math.max(...rates) * 1.05);
  const parts = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">sipp UAC → edge → core → sipp UAS (loopback): Strata vs Kamailio ${esc(doc.versions.kamailio ?? '')}</text>`,
  );
  parts.push(
    `<text x="${W / 2}" y="40" text-anchor="middle" fill="#555">${esc(doc.startedAt)} · ${esc(doc.host.cpus)} CPUs · load avg at start ${esc(doc.host.loadStart.join(' '))} · call ${doc.options.callMs} ms · one process (worker) per tier · labels: value (failed calls)</text>`,
  );
  const panels = [
    {
      title: 'CPU per call (µs, user+sys, all processes of the tier)',
      metric: 'cpu',
      left: lefts[0],
    },
    {
      title: 'INVITE → 200 response time p99 (ms, sipp, log scale)',
      metric: 'p99',
      left: lefts[1],
    },
  ];
  for (const p of panels) {
    const ss = series(p.metric);
    const ys = ss.flatMap((s) => s.pts.map((q) => q.y));
    const X = (x) => p.left + ((x - xmin) / (xmax - xmin)) * panelW;
    // CPU: linear from 0; p99: log scale (sub-ms … seconds), sipp's 0 ms (< 1 ms) drawn at 0.5
    const logY = p.metric === 'p99';
    const ymax = logY
      ? 10 ** Math.ceil(Math.log10(Math.max(10, ...ys) * 1.05))
      : niceMax(Math.max(1, ...ys) * 1.1);
    const lmin = Math.log10(0.5);
    const Y = logY
      ? (y) =>
          top +
          panelH -
          ((Math.log10(Math.max(0.5, y)) - lmin) / (Math.log10(ymax) - lmin)) * panelH
      : (y) => top + panelH - (y / ymax) * panelH;
    const ticks = logY
      ? [0.5, ...Array.from({ length: Math.log10(ymax) + 1 }, (_, k) => 10 ** k)]
      : [0, 1, 2, 3, 4, 5].map((k) => (ymax * k) / 5);
    parts.push(
      `<text x="${p.left + panelW / 2}" y="${top - 12}" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`,
    );
    parts.push(
      `<rect x="${p.left}" y="${top}" width="${panelW}" height="${panelH}" fill="none" stroke="#999"/>`,
    );
    for (const yv of ticks) {
      const y = Y(yv);
      parts.push(
        `<line x1="${p.left}" x2="${p.left + panelW}" y1="${y}" y2="${y}" stroke="#eee"/>`,
      );
      parts.push(`<text x="${p.left - 6}" y="${y + 4}" text-anchor="end">${round(yv, 1)}</text>`);
    }
    for (const rate of rates) {
      const x = X(rate);
      parts.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${top + panelH}" stroke="#f3f3f3"/>`);
      parts.push(`<text x="${x}" y="${top + panelH + 16}" text-anchor="middle">${rate}</text>`);
    }
    parts.push(
      `<text x="${p.left + panelW / 2}" y="${top + panelH + 34}" text-anchor="middle">offered rate (calls/s)</text>`,
    );
    for (const s of ss) {
      if (s.pts.length === 0) continue;
      const dash = s.tier === 'core' ? ' stroke-dasharray="6 4"' : '';
      const d = s.pts
        .map((q, j) => `${j ? 'L' : 'M'}${round(X(q.x), 1)},${round(Y(q.y), 1)}`)
        .join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${colors[s.sys]}" stroke-width="2"${dash}/>`);
      for (const q of s.pts) {
        const shape =
          s.tier === 'core'
            ? `<rect x="${round(X(q.x) - 4, 1)}" y="${round(Y(q.y) - 4, 1)}" width="8" height="8" fill="${colors[s.sys]}"/>`
            : `<circle cx="${round(X(q.x), 1)}" cy="${round(Y(q.y), 1)}" r="4" fill="${colors[s.sys]}"/>`;
        parts.push(shape);
        const nearRight = X(q.x) > p.left + panelW - 60;
        const tx = round(X(q.x) + (nearRight ? -7 : 7), 1);
        const ty = round(
          Y(q.y) + (s.sys === 'strata' ? (p.metric === 'p99' && q.failed ? -18 : -7) : 14),
          1,
        );
        const value = p.metric === 'p99' && q.y === 0 ? '<1' : String(q.y);
        const failed =
          p.metric === 'p99' && q.failed
            ? `<tspan x="${tx}" dy="11">${q.failed} failed</tspan>`
            : '';
        parts.push(
          `<text x="${tx}" y="${ty}" text-anchor="${nearRight ? 'end' : 'start'}" fill="${colors[s.sys]}" font-size="10">${esc(value)}${failed}</text>`,
        );
      }
    }
    // legend
    let ly = top + panelH + 52;
    let lx = p.left;
    for (const s of ss) {
      const dash = s.tier === 'core' ? ' stroke-dasharray="6 4"' : '';
      parts.push(
        `<line x1="${lx}" x2="${lx + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="${colors[s.sys]}" stroke-width="2"${dash}/>`,
      );
      parts.push(
        `<text x="${lx + 30}" y="${ly}">${s.sys} ${p.metric === 'cpu' ? s.tier : ''}</text>`,
      );
      lx += p.metric === 'cpu' ? 118 : 130;
    }
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function version(cmd, args) {
  try {
    const out = execFileSync(cmd, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 5000,
    });
    return (
      out
        .split('\n')
        .map((l) => l.trim())
        .find((l) => l !== '') ?? null
    );
  } catch (e) {
    const out = `${e.stdout ?? ''}`
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '');
    return out ?? null;
  }
}

// ---- main ----------------------------------------------------------------------------------

async function main() {
  const from = option('report', 'BENCH_REPORT', '');
  if (from !== '') {
    // re-print the table and redraw the chart of an earlier run: --report=bench-results/sipp-….json
    const doc = JSON.parse(fs.readFileSync(path.resolve(ROOT, from), 'utf8'));
    OPT.rates = [...new Set(doc.runs.map((r) => r.rate))];
    process.stdout.write(`${table(doc.runs)}\n\n${ratioTable(ratios(doc.runs))}\n`);
    const out = path.resolve(ROOT, from).replace(/\.json$/, '') + '.svg';
    fs.writeFileSync(out, svgChart(doc));
    process.stdout.write(`wrote ${path.relative(ROOT, out)}\n`);
    return;
  }
  for (const f of [EDGE_MAIN, CORE_MAIN])
    if (OPT.systems.includes('strata') && !fs.existsSync(f))
      throw new Error(
        `${path.relative(ROOT, f)} missing: pnpm exec turbo run build --filter=@strata/edge --filter=@strata/core`,
      );
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const work = path.join(OPT.out, `sipp-${stamp}`);
  fs.mkdirSync(work, { recursive: true });
  const doc = {
    startedAt: new Date().toISOString(),
    host: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', loadStart: loadavg() },
    versions: {
      node: process.version,
      sipp: version(OPT.sipp, ['-v'])?.replace(/^SIPp\s*/, 'SIPp ') ?? null,
      kamailio: OPT.systems.includes('kamailio')
        ? (version(OPT.kamailio, ['-v'])?.match(/kamailio ([\d.]+)/)?.[1] ?? null)
        : null,
      strata: (() => {
        try {
          return execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], {
            encoding: 'utf8',
          }).trim();
        } catch {
          return null;
        }
      })(),
    },
    options: { ...OPT, out: path.relative(ROOT, OPT.out) },
    runs: [],
  };
  const deadline = Date.now() + OPT.maxMinutes * 60_000;
  process.stdout.write(
    `bench: rates ${OPT.rates.join(', ')} cps × ${OPT.calls ?? `${OPT.duration} s`}, systems ${OPT.systems.join(', ')}, ` +
      `load avg ${doc.host.loadStart.join(' ')} (${doc.host.cpus} CPUs)\n`,
  );
  for (const rate of OPT.rates)
    for (const system of OPT.systems) {
      if (Date.now() > deadline) {
        doc.runs.push({ system, rate, error: `skipped: past --max-minutes=${OPT.maxMinutes}` });
        continue;
      }
      process.stdout.write(`  ${system} @ ${rate} cps … `);
      const r = await runOne(system, rate, path.join(work, `${system}-${rate}`));
      doc.runs.push(r);
      process.stdout.write(
        r.error
          ? `error: ${r.error}\n`
          : `${r.sipp.successful}/${r.calls} ok, edge ${r.cpu.edgeUsPerCall} µs/call, core ${r.cpu.coreUsPerCall} µs/call, p99 ${r.latencyMs.p99} ms\n`,
      );
    }
  doc.finishedAt = new Date().toISOString();
  doc.host.loadEnd = loadavg();
  doc.ratios = ratios(doc.runs);

  const text = `${table(doc.runs)}\n\n${ratioTable(doc.ratios)}\n`;
  process.stdout.write(
    `\n${text}\nload avg: start ${doc.host.loadStart.join(' ')}, end ${doc.host.loadEnd.join(' ')} (${doc.host.cpus} CPUs)\n`,
  );
  const json = JSON.stringify(doc, null, 2) + '\n';
  const svg = svgChart(doc);
  const jf = path.join(OPT.out, `sipp-${stamp}.json`);
  const sf = path.join(OPT.out, `sipp-${stamp}.svg`);
  fs.writeFileSync(jf, json);
  fs.writeFileSync(sf, svg);
  fs.writeFileSync(path.join(work, 'table.txt'), text);
  process.stdout.write(
    `wrote ${path.relative(ROOT, jf)}, ${path.relative(ROOT, sf)} (per-run sipp files: ${path.relative(ROOT, work)}/)\n`,
  );
  if (OPT.latest) {
    fs.writeFileSync(path.join(HERE, 'latest.json'), json);
    fs.writeFileSync(path.join(HERE, 'latest.svg'), svg);
    process.stdout.write('updated infra/bench/latest.json and infra/bench/latest.svg\n');
  }
}

main()
  .catch((err) => {
    process.stderr.write(`bench: ${err?.stack ?? err}\n`);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
