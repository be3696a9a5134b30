export interface LagStats {
  /** Samples recorded since start. */
  readonly count: number;
  /** Over the most recent window of samples, in ms. */
  readonly p50: number;
  readonly p99: number;
  /** Largest lag ever seen, in ms. */
  readonly max: number;
}

/**
 * Replication lag (write → visible on another node, §6 "lag is a metric"): a fixed ring
 * buffer of recent samples; percentiles are computed on demand, recording is O(1).
 */
export class LagRecorder {
  private readonly samples: Float64Array;
  private count = 0;
  private max = 0;

  constructor(window = 1024) {
    this.samples = new Float64Array(window);
  }

  record(lagMs: number): void {
    const v = lagMs < 0 ? 0 : lagMs; // clock skew between hosts can make it negative
    this.samples[this.count % this.samples.length] = v;
    this.count++;
    if (v > this.max) this.max = v;
  }

  stats(): LagStats {
    const n = Math.min(this.count, this.samples.length);
    if (n === 0) return { count: 0, p50: 0, p99: 0, max: 0 };
    const sorted = this.samples.slice(0, n).sort();
    const at = (q: number): number => sorted[Math.min(n - 1, Math.floor(q * n))] ?? 0;
    return { count: this.count, p50: at(0.5), p99: at(0.99), max: this.max };
  }
}
