/**
 * Real-process harness: spawn the built edge (dist/main.js) with env config,
 * stub cores and raw SIP clients on 127.0.0.1 UDP sockets, sipp runs. Every
 * wait is event-driven or a bounded poll, with a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMessage, type SipMessage, type SipRequest } from '@strata/parser';

export const EDGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EDGE_MAIN = join(EDGE_DIR, 'dist', 'main.js');
export const SIPP_DIR = join(EDGE_DIR, '..', '..', 'infra', 'sipp');

export function assertBuilt(): void {
  if (!existsSync(EDGE_MAIN))
    throw new Error(
      `${EDGE_MAIN} missing: build first (pnpm exec turbo run build --filter=@strata/edge)`,
    );
}

/** Wait until `check` returns a value other than undefined, polling every `everyMs`, at most `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const maxRounds = Math.ceil(timeoutMs / everyMs) + 1;
  for (let i = 0; i < maxRounds; i++) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

// ---- the edge process ------------------------------------------------------------------

export interface EdgeProcess {
  proc: ChildProcess;
  sipPort: number;
  statusPort: number;
  /** stdout JSON log lines so far */
  logs: Record<string, unknown>[];
  stats(): Promise<EdgeStats>;
  readyStatus(): Promise<number>;
  get(path: string): Promise<{ status: number; body: string }>;
  stop(): Promise<number | null>;
}

/** The parts of /stats the tests read. */
export interface EdgeStats {
  mode: string;
  ready: boolean;
  ring: { up: number; cores: { id: string; up: boolean; misses: number }[] };
  workers: { pid: number; forwarder: ForwarderCounters }[];
  total: {
    forwarder: ForwarderCounters;
    transport: { parseErrors: number; dropped: number; messagesIn: { udp: number } };
  };
}
interface ForwarderCounters {
  requestsIn: number;
  requestsForwarded: number;
  responsesForwarded: number;
  dropped: Record<string, number>;
  rejected: Record<string, number>;
}

export interface Core {
  id: string;
  uri: string;
  weight?: number;
}

export function edgeEnv(
  cores: Core[],
  extra: Record<string, unknown> = {},
): Record<string, string> {
  const env: Record<string, string> = {
    STRATA_LISTEN: JSON.stringify([{ transport: 'udp', host: '127.0.0.1', port: 0 }]),
    STRATA_STATUS__PORT: '0',
    STRATA_LOG_LEVEL: 'info',
    STRATA_CORES: JSON.stringify(cores),
    STRATA_HEALTH__INTERVAL_MS: '100',
    STRATA_HEALTH__TIMEOUT_MS: '80',
    STRATA_HEALTH__DOWN_AFTER: '2',
    STRATA_HEALTH__UP_AFTER: '1',
  };
  for (const [k, v] of Object.entries(extra))
    env[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return env;
}

function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STRATA_')) base[k] = v;
  // SIGTERM drains (#9); these tests stop the edge with SIGTERM and want it gone at once
  return { ...base, STRATA_DRAIN: '{"graceSeconds":0,"lingerSeconds":0}', ...env };
}

export async function startEdge(
  env: Record<string, string>,
  timeoutMs = 10_000,
): Promise<EdgeProcess> {
  assertBuilt();
  const proc = spawn(process.execPath, [EDGE_MAIN], {
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let buffered = '';
  const started = new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`edge did not start within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      buffered += d;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const rec = JSON.parse(line) as Record<string, unknown>;
          logs.push(rec);
          if (rec['msg'] === 'edge started') {
            clearTimeout(timer);
            resolve(rec);
          }
        } catch {
          // not a log line
        }
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`edge exited (${code}) before start: ${stderr}`));
    });
  });
  const rec = await started;
  const listeners = rec['listeners'] as { transport: string; port: number }[];
  const status = rec['status'] as { port: number };
  const sipPort = listeners.find((l) => l.transport === 'udp')!.port;
  const get = (path: string) => httpGet(status.port, path);
  return {
    proc,
    sipPort,
    statusPort: status.port,
    logs,
    get,
    stats: async () => JSON.parse((await get('/stats')).body) as EdgeStats,
    readyStatus: async () => (await get('/ready')).status,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve(proc.exitCode);
        const kill = setTimeout(() => proc.kill('SIGKILL'), 5_000);
        proc.once('exit', (code) => {
          clearTimeout(kill);
          resolve(code);
        });
        proc.kill('SIGTERM');
      }),
  };
}

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 3_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

// ---- UDP peers --------------------------------------------------------------------------

export interface Received {
  raw: string;
  msg: SipMessage;
  from: { address: string; port: number };
  at: number;
}

/** A UDP socket that records every SIP message it receives and lets a test wait for one. */
export class UdpPeer {
  readonly socket: dgram.Socket;
  readonly received: Received[] = [];
  private waiters: { pred: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];
  port = 0;

  constructor(readonly address = '127.0.0.1') {
    this.socket = dgram.createSocket('udp4');
    this.socket.on('message', (buf, rinfo) => {
      let msg: SipMessage;
      try {
        msg = parseMessage(buf);
      } catch {
        return;
      }
      const r: Received = {
        raw: buf.toString('latin1'),
        msg,
        from: { address: rinfo.address, port: rinfo.port },
        at: Date.now(),
      };
      this.received.push(r);
      this.onReceived(r);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(r)) return true;
        w.resolve(r);
        return false;
      });
    });
  }

  protected onReceived(_r: Received): void {}

  async bind(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.socket.bind(port, this.address, resolve));
    this.port = this.socket.address().port;
    return this;
  }

  send(text: string, port: number, address = '127.0.0.1'): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(Buffer.from(text, 'latin1'), port, address, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }

  /** The first message (already received or arriving within timeoutMs) matching pred. */
  waitFor(pred: (r: Received) => boolean, what: string, timeoutMs = 3_000): Promise<Received> {
    const seen = this.received.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const done = (r: Received): void => {
        clearTimeout(timer);
        resolve(r);
      };
      this.waiters.push({ pred, resolve: done });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

/**
 * A stub core: answers OPTIONS 200; INVITE 180 + 200 (To tag, Record-Route copied, Contact
 * naming itself), or only 100 when the Call-ID starts with "noanswer"; BYE, CANCEL and
 * REGISTER 200. `alive = false` makes it silent (a dead core) while it keeps recording.
 */
export class StubCore extends UdpPeer {
  alive = true;

  constructor(readonly id: string) {
    super();
  }

  get uri(): string {
    return `sip:127.0.0.1:${this.port}`;
  }

  core(weight = 1): Core {
    return { id: this.id, uri: this.uri, weight };
  }

  /** requests other than probes */
  calls(): Received[] {
    return this.received.filter((r) => r.msg.isRequest && r.msg.method !== 'OPTIONS');
  }

  protected override onReceived(r: Received): void {
    if (!this.alive || !r.msg.isRequest) return;
    const req = r.msg;
    const reply = (status: number, reason: string, opts: { tag?: boolean; rr?: boolean } = {}) =>
      void this.send(
        response(r.raw, req, status, reason, { ...opts, contact: this.uri }),
        r.from.port,
        r.from.address,
      );
    switch (req.method) {
      case 'INVITE':
        if (req.callId.startsWith('noanswer')) reply(100, 'Trying');
        else {
          reply(180, 'Ringing', { tag: true, rr: true });
          reply(200, 'OK', { tag: true, rr: true });
        }
        break;
      case 'ACK':
        break;
      default:
        reply(200, 'OK', { tag: req.method !== 'CANCEL' && req.toTag === null });
    }
  }
}

/** A response built from the raw request text: Vias, From, To (+tag), Call-ID, CSeq, Record-Route. */
export function response(
  raw: string,
  req: SipRequest,
  status: number,
  reason: string,
  opts: { tag?: boolean; rr?: boolean; contact?: string } = {},
): string {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n')).split('\r\n').slice(1);
  const keep = (re: RegExp) => head.filter((l) => re.test(l));
  const to = keep(/^(to|t)\s*:/i)[0]!;
  const lines = [
    `SIP/2.0 ${status} ${reason}`,
    ...keep(/^(via|v)\s*:/i),
    ...keep(/^(from|f)\s*:/i),
    opts.tag === true && req.toTag === null ? `${to};tag=core${status}x${req.cseq.seq}` : to,
    ...keep(/^(call-id|i)\s*:/i),
    ...keep(/^cseq\s*:/i),
    ...(opts.rr === true ? keep(/^record-route\s*:/i) : []),
    ...(opts.contact !== undefined && status >= 180 ? [`Contact: <${opts.contact}>`] : []),
    'Content-Length: 0',
  ];
  return lines.join('\r\n') + '\r\n\r\n';
}

/** A minimal request from a raw client. */
export function sipRequest(args: {
  method: string;
  uri: string;
  callId: string;
  branch: string;
  port: number;
  host?: string;
  cseq?: number;
  cseqMethod?: string;
  toTag?: string;
  maxForwards?: number | null;
  extra?: string[];
}): string {
  const host = args.host ?? '127.0.0.1';
  return (
    [
      `${args.method} ${args.uri} SIP/2.0`,
      `Via: SIP/2.0/UDP ${host}:${args.port};branch=${args.branch};rport`,
      ...(args.maxForwards === null ? [] : [`Max-Forwards: ${args.maxForwards ?? 70}`]),
      `From: <sip:alice@127.0.0.1>;tag=f${args.callId.replace(/[^A-Za-z0-9.!%*_+`'~-]/g, '')}`,
      `To: <sip:bob@127.0.0.1>${args.toTag !== undefined ? `;tag=${args.toTag}` : ''}`,
      `Call-ID: ${args.callId}`,
      `CSeq: ${args.cseq ?? 1} ${args.cseqMethod ?? args.method}`,
      `Contact: <sip:alice@${host}:${args.port}>`,
      ...(args.extra ?? []),
      'Content-Length: 0',
    ].join('\r\n') + '\r\n\r\n'
  );
}

// ---- sipp -------------------------------------------------------------------------------

export interface SippResult {
  code: number | null;
  stdout: string;
  stderr: string;
  stats: string;
}

/** Run sipp to completion (or kill it at timeoutMs). `-trace_stat`-free: the exit code tells. */
export function runSipp(args: string[], timeoutMs: number): Promise<SippResult> {
  return new Promise((resolve) => {
    const proc = spawn('sipp', ['-nostdin', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, stats: stdout.slice(-3000) });
    });
  });
}

/** sipp UAC placing `calls` calls at `rate` cps through the edge; -m makes it exit when done. */
export function sippUac(edgePort: number, calls: number, rate: number, extra: string[] = []) {
  return runSipp(
    [
      '-sf',
      join(SIPP_DIR, 'uac.xml'),
      '-i',
      '127.0.0.1',
      '-m',
      String(calls),
      '-r',
      String(rate),
      '-d',
      '0',
      '-timeout',
      '30s',
      '-timeout_error',
      '-max_recv_loops',
      '1000',
      ...extra,
      `127.0.0.1:${edgePort}`,
    ],
    60_000,
  );
}

export function spawnSippUas(port: number): ChildProcess {
  return spawn(
    'sipp',
    ['-nostdin', '-sf', join(SIPP_DIR, 'uas.xml'), '-i', '127.0.0.1', '-p', String(port), '-aa'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
}
