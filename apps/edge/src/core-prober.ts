/**
 * Health probes: an OPTIONS to every core every intervalMs. A core is marked
 * down after `downAfter` consecutive misses (no answer within timeoutMs, a
 * send error, or 503 — a draining core answers 503) and up again after
 * `upAfter` consecutive answers. Like Kamailio's dispatcher probing mode.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { parseMessage, type SipRequest, type SipResponse } from '@strata/parser';
import type { Transport } from '@strata/transport';
import { PROBE_BRANCH_PREFIX } from './branch.js';
import { hostOf } from './core-resolver.js';
import type { CoreNode, CoreRing } from './ring.js';

export interface ProberOptions {
  intervalMs: number;
  timeoutMs: number;
  downAfter: number;
  upAfter: number;
  nodeId: string;
}

interface ProbeState {
  misses: number;
  answers: number;
  lastRttMs: number | null;
  lastStatus: number | null;
}

interface Pending {
  coreId: string;
  sentAt: number;
  timer: NodeJS.Timeout;
}

export class CoreProber {
  private readonly state = new Map<string, ProbeState>();
  private readonly pending = new Map<string, Pending>();
  private interval: NodeJS.Timeout | null = null;
  private seq = 0;
  private readonly callIdPrefix = randomBytes(6).toString('hex');

  constructor(
    private readonly ring: CoreRing,
    private readonly transport: Transport,
    private readonly options: ProberOptions,
    private readonly logger: Logger,
    private readonly onChange?: (core: CoreNode, up: boolean) => void,
  ) {
    for (const n of ring.allNodes())
      this.state.set(n.id, { misses: 0, answers: 0, lastRttMs: null, lastStatus: null });
  }

  start(): void {
    if (this.interval !== null) return;
    this.probeAll();
    this.interval = setInterval(() => this.probeAll(), this.options.intervalMs);
    this.interval.unref();
  }

  stop(): void {
    if (this.interval !== null) clearInterval(this.interval);
    this.interval = null;
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  /** Probe state for the admin view. */
  snapshot(): Record<string, ProbeState & { up: boolean }> {
    const out: Record<string, ProbeState & { up: boolean }> = {};
    for (const [id, s] of this.state) out[id] = { ...s, up: this.ring.isUp(id) };
    return out;
  }

  /** True when the response belonged to a probe (and was consumed). */
  handleResponse(res: SipResponse): boolean {
    const branch = res.topVia?.params.get('branch');
    if (branch == null || !branch.startsWith(PROBE_BRANCH_PREFIX)) return false;
    const p = this.pending.get(branch);
    if (p === undefined) return true; // late answer to a probe already counted as a miss
    if (res.status < 200) return true;
    this.pending.delete(branch);
    clearTimeout(p.timer);
    const s = this.state.get(p.coreId);
    if (s !== undefined) {
      s.lastRttMs = Date.now() - p.sentAt;
      s.lastStatus = res.status;
    }
    if (res.status === 503) this.miss(p.coreId, 'answered 503');
    else this.answer(p.coreId);
    return true;
  }

  private probeAll(): void {
    for (const core of this.ring.allNodes()) this.probe(core);
  }

  private probe(core: CoreNode): void {
    const branch = PROBE_BRANCH_PREFIX + randomBytes(9).toString('base64url');
    const dest = { transport: core.transport, address: core.address, port: core.port };
    const via = this.transport.viaFor(dest);
    // the URI names the core as configured (its name), the datagram goes to its address
    const name = hostOf(core);
    const host = name.includes(':') ? `[${name}]` : name;
    const req = parseMessage(
      Buffer.from(
        `OPTIONS sip:${host}:${core.port} SIP/2.0\r\n` +
          `Via: SIP/2.0/${via.transport} ${via.host}:${via.port};branch=${branch};rport\r\n` +
          `Max-Forwards: 1\r\n` +
          `From: <sip:${this.options.nodeId}@${via.host}>;tag=${this.callIdPrefix}\r\n` +
          `To: <sip:${host}:${core.port}>\r\n` +
          `Call-ID: probe-${this.callIdPrefix}-${++this.seq}\r\n` +
          `CSeq: ${this.seq} OPTIONS\r\n` +
          `Content-Length: 0\r\n\r\n`,
      ),
    ) as SipRequest;
    const timer = setTimeout(() => {
      if (this.pending.delete(branch)) this.miss(core.id, 'timeout');
    }, this.options.timeoutMs);
    timer.unref();
    this.pending.set(branch, { coreId: core.id, sentAt: Date.now(), timer });
    this.transport.send(req, dest).catch((err: unknown) => {
      const p = this.pending.get(branch);
      if (p === undefined) return;
      clearTimeout(p.timer);
      this.pending.delete(branch);
      this.miss(core.id, `send failed: ${(err as Error).message}`);
    });
  }

  private miss(coreId: string, why: string): void {
    const s = this.state.get(coreId);
    if (s === undefined) return;
    s.answers = 0;
    s.misses++;
    if (s.misses >= this.options.downAfter && this.ring.isUp(coreId)) {
      this.ring.setUp(coreId, false);
      this.logger.warn({ core: coreId, misses: s.misses, why }, 'core marked down');
      const node = this.ring.node(coreId);
      if (node !== undefined) this.onChange?.(node, false);
    }
  }

  private answer(coreId: string): void {
    const s = this.state.get(coreId);
    if (s === undefined) return;
    s.misses = 0;
    s.answers++;
    if (s.answers >= this.options.upAfter && !this.ring.isUp(coreId)) {
      this.ring.setUp(coreId, true);
      this.logger.info({ core: coreId }, 'core marked up');
      const node = this.ring.node(coreId);
      if (node !== undefined) this.onChange?.(node, true);
    }
  }
}
