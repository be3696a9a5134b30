/**
 * The /stats document. Every leaf is a number, a boolean or a string label,
 * grouped by component, so the #9 exporter can walk it into metrics
 * (`strata_edge_forwarder_dropped{reason="rate-limit"}` and the like).
 */
import type { TransportStats } from '@strata/transport';
import type { EdgeCounters } from './edge-node.js';
import type { CoreProber } from './core-prober.js';
import type { CoreRing } from './ring.js';

export interface CoreState {
  id: string;
  transport: string;
  address: string;
  port: number;
  weight: number;
  up: boolean;
  misses: number;
  answers: number;
  lastRttMs: number | null;
  lastStatus: number | null;
}

export interface RingState {
  size: number;
  up: number;
  cores: CoreState[];
}

/** One process's forwarding counters (a worker, or the single process). */
export interface WorkerCounters extends EdgeCounters {
  pid: number;
  transport: TransportStats;
}

export interface EdgeStatsDocument {
  nodeId: string;
  mode: 'single' | 'cluster';
  pid: number;
  uptimeSeconds: number;
  ready: boolean;
  ring: RingState;
  /** per process; in cluster mode one entry per worker that answered in time */
  workers: WorkerCounters[];
  /** sums over `workers` */
  total: Omit<WorkerCounters, 'pid'>;
}

export function ringState(ring: CoreRing, prober: CoreProber): RingState {
  const probes = prober.snapshot();
  const cores = ring.allNodes().map((n) => {
    const p = probes[n.id];
    return {
      id: n.id,
      transport: n.transport,
      address: n.address,
      port: n.port,
      weight: n.weight,
      up: ring.isUp(n.id),
      misses: p?.misses ?? 0,
      answers: p?.answers ?? 0,
      lastRttMs: p?.lastRttMs ?? null,
      lastStatus: p?.lastStatus ?? null,
    };
  });
  return { size: ring.size, up: ring.upCount(), cores };
}

/** Sum counter trees of the same shape: numbers add up, nested objects merge key by key. */
export function sumCounters<T>(items: readonly T[]): T {
  const out: Record<string, unknown> = {};
  for (const item of items) mergeInto(out, item as Record<string, unknown>);
  return out as T;
}

function mergeInto(out: Record<string, unknown>, add: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(add)) {
    if (typeof v === 'number') {
      out[k] = ((out[k] as number | undefined) ?? 0) + v;
    } else if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const child = (out[k] ??= {}) as Record<string, unknown>;
      mergeInto(child, v as Record<string, unknown>);
    }
  }
}

export function totals(workers: readonly WorkerCounters[]): Omit<WorkerCounters, 'pid'> {
  const sum = sumCounters(workers.map(({ pid: _pid, ...rest }) => rest));
  return sum;
}
