/**
 * Carriers at run time: each carrier's gateways as a probed group (the media groups'
 * OPTIONS prober and up/down state are reused), its concurrent calls and its call rate.
 * Counts and rate buckets are kept by carrier name, so they survive a reload.
 */
import type { TransactionLayer } from '@strata/transaction';
import type { Logger } from 'pino';
import { MediaGroup } from '../media/media-group.js';
import { MediaProber } from '../probes/media-prober.js';
import type { CarrierConfig } from './lcr-config.js';

export type Unavailable = 'unknown' | 'down' | 'concurrent-limit' | 'cps-limit';

interface Bucket {
  tokens: number;
  at: number;
}

const GROUP_PREFIX = 'carrier:';

export class Carriers {
  private configs = new Map<string, CarrierConfig>();
  private readonly groups = new Map<string, MediaGroup>();
  private prober: MediaProber | null = null;
  /** concurrent calls per carrier name (attempts in progress + answered calls) */
  private readonly active = new Map<string, number>();
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly layer: TransactionLayer,
    private readonly from: string,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Swap the carrier set; gateways still listed keep what the probes learned. */
  configure(carriers: Readonly<Record<string, CarrierConfig>>): void {
    this.prober?.stop();
    const old = new Map(this.groups);
    this.groups.clear();
    this.configs = new Map(Object.entries(carriers));
    for (const [name, c] of this.configs) {
      const group = new MediaGroup(GROUP_PREFIX + name, {
        algorithm: 'hash-callid',
        targets: c.uris.map((uri) => ({ uri, weight: 1 })),
        probe: c.probe,
        failoverOn: [],
      });
      for (const t of group.targets) {
        const before = old.get(GROUP_PREFIX + name)?.targets.find((x) => x.uri === t.uri);
        if (before !== undefined) t.up = before.up;
      }
      this.groups.set(GROUP_PREFIX + name, group);
    }
    this.prober = new MediaProber(this.layer, this.groups, this.from, this.logger);
  }

  start(): void {
    this.prober?.start();
  }

  stop(): void {
    this.prober?.stop();
  }

  config(name: string): CarrierConfig | undefined {
    return this.configs.get(name);
  }

  /** The gateways the probes say are up, in configured order. */
  liveUris(name: string): string[] {
    const g = this.groups.get(GROUP_PREFIX + name);
    return g === undefined ? [] : g.targets.filter((t) => t.up).map((t) => t.uri);
  }

  /** Mark a gateway up or down by hand (tests, operators); the probes may change it back. */
  setGatewayUp(name: string, uri: string, up: boolean): void {
    this.groups.get(GROUP_PREFIX + name)?.setUp(uri, up);
  }

  /** Why the carrier cannot take a new call now, or null. */
  unavailable(name: string): Unavailable | null {
    const c = this.configs.get(name);
    if (c === undefined) return 'unknown';
    if (this.liveUris(name).length === 0) return 'down';
    if (c.maxConcurrent > 0 && (this.active.get(name) ?? 0) >= c.maxConcurrent)
      return 'concurrent-limit';
    if (c.maxCps > 0 && this.bucket(name, c.maxCps).tokens < 1) return 'cps-limit';
    return null;
  }

  /** A call starts on the carrier: one concurrent call and one token of its rate. */
  take(name: string): void {
    this.active.set(name, (this.active.get(name) ?? 0) + 1);
    this.takeRate(name);
  }

  /** One token of the carrier's call rate only (a call whose end is not tracked). */
  takeRate(name: string): void {
    const c = this.configs.get(name);
    if (c !== undefined && c.maxCps > 0) this.bucket(name, c.maxCps).tokens -= 1;
  }

  release(name: string): void {
    const n = this.active.get(name) ?? 0;
    if (n > 1) this.active.set(name, n - 1);
    else this.active.delete(name);
  }

  activeCalls(name: string): number {
    return this.active.get(name) ?? 0;
  }

  /** Token bucket: `cps` tokens a second, at most `cps` saved up (a one-second burst). */
  private bucket(name: string, cps: number): Bucket {
    const now = this.now();
    let b = this.buckets.get(name);
    if (b === undefined) this.buckets.set(name, (b = { tokens: cps, at: now }));
    b.tokens = Math.min(cps, b.tokens + ((now - b.at) / 1000) * cps);
    b.at = now;
    return b;
  }

  snapshot(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, c] of this.configs) {
      const g = this.groups.get(GROUP_PREFIX + name)!;
      out[name] = {
        active: this.activeCalls(name),
        maxConcurrent: c.maxConcurrent,
        maxCps: c.maxCps,
        gateways: g.targets.map((t) => ({ uri: t.uri, up: t.up })),
      };
    }
    return out;
  }

  probes(): Record<string, unknown> {
    return this.prober?.snapshot() ?? {};
  }
}
