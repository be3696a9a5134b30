/**
 * A media-server group (Kamailio `dispatcher`-like): picks the server for a
 * new call by the group's algorithm among servers the probes say are up, and
 * gives the failover order the proxy walks through on 5xx/408/timeout.
 */
import { createHash } from 'node:crypto';
import type { MediaGroupConfig } from '../config.js';

export interface MediaTarget {
  uri: string;
  weight: number;
  up: boolean;
  /** calls currently answered by this server (least-active algorithm) */
  active: number;
}

export class MediaGroup {
  readonly targets: MediaTarget[];
  private rr = 0;

  constructor(
    readonly name: string,
    readonly config: MediaGroupConfig,
    private readonly random: () => number = Math.random,
  ) {
    this.targets = config.targets.map((t) => ({
      uri: t.uri,
      weight: t.weight,
      up: true,
      active: 0,
    }));
  }

  /**
   * Every live server in the order to try them for this call: the algorithm's
   * choice first, then the rest (failover, like dispatcher's ds_next_dst).
   */
  order(callId: string): MediaTarget[] {
    const live = this.targets.filter((t) => t.up);
    if (live.length === 0) return [];
    const first = this.pick(live, callId);
    return [first, ...live.filter((t) => t !== first)];
  }

  private pick(live: MediaTarget[], callId: string): MediaTarget {
    switch (this.config.algorithm) {
      case 'hash-callid': {
        // hash over all servers so a server going down moves only its own calls
        const h = createHash('md5').update(callId).digest().readUInt32BE(0);
        const n = this.targets.length;
        for (let i = 0; i < n; i++) {
          const t = this.targets[(h + i) % n]!;
          if (t.up) return t;
        }
        return live[0]!;
      }
      case 'round-robin':
        return live[this.rr++ % live.length]!;
      case 'weighted': {
        const total = live.reduce((s, t) => s + t.weight, 0);
        let r = this.random() * total;
        for (const t of live) {
          r -= t.weight;
          if (r < 0) return t;
        }
        return live[live.length - 1]!;
      }
      case 'least-active':
        return live.reduce((best, t) => (t.active < best.active ? t : best), live[0]!);
    }
  }

  setUp(uri: string, up: boolean): void {
    const t = this.targets.find((x) => x.uri === uri);
    if (t !== undefined) t.up = up;
  }

  callStarted(uri: string): void {
    const t = this.targets.find((x) => x.uri === uri);
    if (t !== undefined) t.active++;
  }

  callEnded(uri: string): void {
    const t = this.targets.find((x) => x.uri === uri);
    if (t !== undefined && t.active > 0) t.active--;
  }

  /** A final status from a server that should move the call to the next one. */
  isFailover(status: number): boolean {
    return this.config.failoverOn.includes(status);
  }
}
