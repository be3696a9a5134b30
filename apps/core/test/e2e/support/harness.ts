/**
 * Real-process harness for the core's end-to-end tests: the built edge and core
 * (dist/main.js) with JSON config files (YAML is a superset), redis-server, sipp, raw
 * UDP sockets — loopback only, free ports only. Every wait is event-driven or a bounded
 * poll with a deadline; every process spawned here is registered and killed by
 * `killAll()` (afterEach/afterAll) and, as a last resort, on process exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CORE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CORE_MAIN = join(CORE_DIR, 'dist', 'main.js');
export const EDGE_MAIN = join(CORE_DIR, '..', 'edge', 'dist', 'main.js');
export const SIPP_DIR = join(CORE_DIR, '..', '..', 'infra', 'sipp');

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/** Kill every process this harness started and wait until they are gone (bounded). */
export async function killAll(): Promise<void> {
  const all = [...live];
  await Promise.all(all.map((p) => stopProcess(p, 'SIGKILL')));
}

export function stopProcess(p: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) {
    live.delete(p);
    return Promise.resolve();
  }
  return new Promise<void>((resolve) => {
    const t = setTimeout(() => p.kill('SIGKILL'), 3000);
    p.once('exit', () => {
      clearTimeout(t);
      live.delete(p);
      resolve();
    });
    p.kill(signal);
  });
}

function track(p: ChildProcess): ChildProcess {
  live.add(p);
  p.once('exit', () => live.delete(p));
  return p;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `strata-core-${prefix}-`));
}

/** Wait until `check` returns something other than undefined; polls every `everyMs`, at most `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const rounds = Math.ceil(timeoutMs / everyMs) + 1;
  for (let i = 0; i < rounds; i++) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** A free UDP port on 127.0.0.1 (bound and released: racy in theory, fine on a test box). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function freeUdpPorts(n: number): Promise<number[]> {
  // hold all sockets open at once so the ports are distinct
  const socks = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<dgram.Socket>((resolve, reject) => {
          const s = dgram.createSocket('udp4');
          s.once('error', reject);
          s.bind(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = socks.map((s) => s.address().port);
  await Promise.all(socks.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

// ---- node apps (edge, core) -------------------------------------------------------------

export interface AppProcess {
  proc: ChildProcess;
  name: string;
  sipPort: number;
  statusPort: number;
  configFile: string;
  /** parsed JSON log lines so far */
  logs: Record<string, unknown>[];
  stderr(): string;
  get(path: string): Promise<{ status: number; body: string }>;
  stats<T = CoreStats>(): Promise<T>;
  waitForLog(
    what: string,
    pred: (l: Record<string, unknown>) => boolean,
    timeoutMs: number,
  ): Promise<Record<string, unknown>>;
}

function spawnApp(
  name: string,
  main: string,
  config: Record<string, unknown>,
  dir: string,
  startedMsg: string,
): Promise<AppProcess> {
  if (!existsSync(main)) throw new Error(`${main} missing: build first`);
  const configFile = join(dir, `${name}.json`);
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const proc = track(
    spawn(process.execPath, [main], {
      cwd: dir,
      env: {
        PATH: process.env['PATH'] ?? '',
        STRATA_CONFIG: configFile,
        // E2E_LOG_LEVEL=debug: more detail in <temp dir>/<name>.log
        ...(process.env['E2E_LOG_LEVEL'] !== undefined
          ? { STRATA_LOG_LEVEL: process.env['E2E_LOG_LEVEL'] }
          : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const logs: Record<string, unknown>[] = [];
  let err = '';
  const waiters = new Set<() => void>();
  let buf = '';
  const logFile = createWriteStream(join(dir, `${name}.log`));
  // 'close', not 'exit': stdout may still deliver the last lines after the process exited
  proc.once('close', () => logFile.end());
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    logFile.write(d);
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ raw: line });
      }
    }
    for (const w of waiters) w();
  });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    logFile.write(d);
  });
  const waitForLog = (
    what: string,
    pred: (l: Record<string, unknown>) => boolean,
    timeoutMs: number,
  ): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = logs.find(pred);
        if (hit !== undefined) {
          done();
          resolve(hit);
        }
      };
      const onExit = (): void => {
        done();
        reject(new Error(`${name} exited while waiting for ${what}: ${err}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`${name}: timed out after ${timeoutMs} ms waiting for ${what}; stderr: ${err}`),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
        proc.off('close', onExit);
      };
      waiters.add(check);
      proc.once('close', onExit);
      check();
    });
  return waitForLog(`${name} start`, (l) => l['msg'] === startedMsg, 10_000).then((line) => {
    const status = line['status'] as { port: number } | null;
    const listeners = line['listeners'] as { port: number }[];
    const get = (path: string): Promise<{ status: number; body: string }> =>
      httpGet(status?.port ?? 0, path);
    return {
      proc,
      name,
      sipPort: listeners[0]!.port,
      statusPort: status?.port ?? 0,
      configFile,
      logs,
      stderr: () => err,
      get,
      stats: async <T>() => JSON.parse((await get('/stats')).body) as T,
      waitForLog,
    };
  });
}

export function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return httpRequest(port, 'GET', path, { timeoutMs: 2000 });
}

/** One HTTP request to a process's status/admin port; a JSON body when `body` is given. */
export function httpRequest(
  port: number,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ status: number; body: string }> {
  const payload = options.body === undefined ? '' : JSON.stringify(options.body);
  const headers: Record<string, string | number> = { ...options.headers };
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = Buffer.byteLength(payload);
  }
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, headers, timeout: options.timeoutMs ?? 15_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export interface CoreStats {
  nodeId: string;
  store: { kind: string; status: string };
  transactions: { clients: number; servers: number };
  dialogs: {
    active: number;
    early: number;
    confirmed: number;
    terminated: Record<string, number>;
    keepalivesSent: number;
    keepaliveFailures: number;
    adopted: number;
  };
  registrations: {
    aors: number;
    contacts: number;
    natKeepalive: { sent: number; failed: number; removed: number };
  };
  mediaGroups: Record<string, { targets: { uri: string; up: boolean; active: number }[] }>;
  core: {
    takeoverRequests: number;
    adopted: number;
    natAliased: number;
    reloads: number;
    unansweredInvites: number;
  };
  events: {
    confirmed: number;
    holds: number;
    resumes: number;
    refers: number;
    referNotifies: number;
    earlyEndedByProxy: number;
  };
}

export function startCore(
  dir: string,
  name: string,
  sipPort: number,
  config: Record<string, unknown>,
): Promise<AppProcess> {
  return spawnApp(
    name,
    CORE_MAIN,
    {
      nodeId: name,
      logLevel: 'info',
      listen: [{ transport: 'udp', host: '127.0.0.1', port: sipPort }],
      status: { host: '127.0.0.1', port: 0 },
      cdr: { file: join(dir, `${name}-cdr.jsonl`) },
      ...config,
    },
    dir,
    'core started',
  );
}

export function startEdge(
  dir: string,
  sipPort: number,
  cores: { id: string; port: number }[],
  extra: Record<string, unknown> = {},
): Promise<AppProcess> {
  return spawnApp(
    'edge',
    EDGE_MAIN,
    {
      nodeId: 'edge-1',
      logLevel: 'info',
      listen: [{ transport: 'udp', host: '127.0.0.1', port: sipPort }],
      cores: cores.map((c) => ({ id: c.id, uri: `sip:127.0.0.1:${c.port}` })),
      health: { intervalMs: 200, timeoutMs: 150, downAfter: 2, upAfter: 1 },
      status: { host: '127.0.0.1', port: 0 },
      protection: { trusted: ['127.0.0.0/8'] },
      ...extra,
    },
    dir,
    'edge started',
  );
}

/** Waits until the edge's health checks count `cores` cores up (its /stats ring). */
export async function edgeSeesCoresUp(edge: AppProcess, cores: number): Promise<void> {
  await until(
    `edge sees ${cores} core(s) up`,
    async () =>
      (await edge.stats<{ ring: { up: number } }>()).ring.up === cores ? true : undefined,
    5000,
  );
}

/** The CDR records a core wrote (JSON lines). */
export function readCdrs(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

// ---- sipp ---------------------------------------------------------------------------------

export interface SippRun {
  proc: ChildProcess;
  /** exit code (0: every call succeeded), the screen output, the error log */
  done: Promise<{ code: number | null; stdout: string; errors: string }>;
}

/**
 * Runs a sipp scenario from infra/sipp on 127.0.0.1:`port`. Bounded: `-timeout` ends the
 * run with an error, and the process is killed at `killAfterMs` whatever happens.
 */
export function sipp(
  scenario: string,
  port: number,
  args: string[],
  options: { cwd: string; timeoutS?: number; killAfterMs?: number },
): SippRun {
  const timeoutS = options.timeoutS ?? 20;
  const proc = track(
    spawn(
      'sipp',
      [
        '-nostdin',
        '-sf',
        join(SIPP_DIR, scenario),
        '-i',
        '127.0.0.1',
        '-p',
        String(port),
        '-timeout',
        `${timeoutS}s`,
        '-timeout_error',
        '-trace_err',
        '-error_file',
        join(options.cwd, `sipp-${scenario}-${port}-errors.log`),
        '-max_recv_loops',
        '1000',
        // SIPP_TRACE=1: every message in <scenario>_<pid>_messages.log in the test's temp dir
        ...(process.env['SIPP_TRACE'] === '1' ? ['-trace_msg'] : []),
        ...args,
      ],
      { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] },
    ),
  );
  let stdout = '';
  proc
    .stdout!.setEncoding('utf8')
    .on('data', (d: string) => (stdout = (stdout + d).slice(-20_000)));
  proc
    .stderr!.setEncoding('utf8')
    .on('data', (d: string) => (stdout = (stdout + d).slice(-20_000)));
  const killer = setTimeout(
    () => proc.kill('SIGKILL'),
    options.killAfterMs ?? (timeoutS + 10) * 1000,
  );
  const done = new Promise<{ code: number | null; stdout: string; errors: string }>((resolve) => {
    // 'close' (stdio drained), not 'exit': `stdout` then holds sipp's final screen
    proc.once('close', (code) => {
      clearTimeout(killer);
      const file = join(options.cwd, `sipp-${scenario}-${port}-errors.log`);
      const errors = existsSync(file) ? readFileSync(file, 'utf8').slice(-4000) : '';
      resolve({ code, stdout: stdout.slice(-3000), errors });
    });
  });
  return { proc, done };
}

/** Register `user` from `port` (run before a UAS scenario on the same port). */
export async function register(
  edgePort: number,
  user: string,
  port: number,
  cwd: string,
  expires = 300,
): Promise<void> {
  const r = await sipp(
    'register.xml',
    port,
    ['-s', user, '-key', 'expires', String(expires), '-m', '1', `127.0.0.1:${edgePort}`],
    {
      cwd,
      timeoutS: 10,
    },
  ).done;
  if (r.code !== 0)
    throw new Error(`REGISTER ${user} from ${port} failed (${r.code}): ${r.errors}`);
}

/** A sipp UAS listening on `port` for `calls` calls; resolves its run. */
export function uas(
  scenario: string,
  port: number,
  calls: number,
  cwd: string,
  extra: string[] = [],
): SippRun {
  return sipp(scenario, port, ['-aa', '-m', String(calls), ...extra], { cwd, timeoutS: 30 });
}

/** Wait until a UAS sipp has bound its port (it answers nothing before; a short bounded poll). */
export async function listening(port: number): Promise<void> {
  await until(
    `UDP port ${port} bound`,
    async () => ((await isUdpBound(port)) ? true : undefined),
    5000,
    25,
  );
}

/**
 * Whether something has bound UDP `port`. Read from /proc/net/udp{,6} on Linux: probing by
 * binding the port ourselves races the sipp being started — a sipp that tries to bind while
 * the probe holds the port fails and exits (seen as a CI flake). Elsewhere: the bind probe.
 */
function isUdpBound(port: number): Promise<boolean> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  try {
    for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
      if (!existsSync(table)) continue;
      // each row: "sl local_address rem_address …", local_address = ADDR:PORT in hex
      for (const row of readFileSync(table, 'latin1').split('\n').slice(1)) {
        const local = row.trim().split(/\s+/)[1];
        if (local !== undefined && `${local} `.endsWith(hex)) return Promise.resolve(true);
      }
    }
    if (existsSync('/proc/net/udp')) return Promise.resolve(false);
  } catch {
    // fall through to the bind probe
  }
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(true);
    });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(false)));
  });
}
