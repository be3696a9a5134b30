/**
 * Registry helpers: a registry with prom-client's default process metrics (CPU, memory,
 * event-loop lag, GC, handles), and metrics whose value is read from the app's existing
 * plain-number counters at scrape time (no work on the hot path).
 */
import { collectDefaultMetrics, Counter, Gauge, Registry, type LabelValues } from 'prom-client';

export function createRegistry(
  options: { defaults?: boolean; labels?: Record<string, string> } = {},
): Registry {
  const registry = new Registry();
  if (options.labels !== undefined) registry.setDefaultLabels(options.labels);
  if (options.defaults !== false)
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  return registry;
}

export type Sample<L extends string> = readonly [LabelValues<L>, number];

/**
 * A counter whose value comes from `read()` at scrape time: the app keeps its plain
 * counter and Prometheus sees a monotonic `_total`.
 */
export function counterFrom<L extends string = never>(
  registry: Registry,
  name: string,
  help: string,
  read: () => number | readonly Sample<L>[] | Promise<number | readonly Sample<L>[]>,
  labelNames: readonly L[] = [],
): Counter<L> {
  return new Counter<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      const v = await read();
      this.reset();
      if (typeof v === 'number') (this as Counter).inc(v);
      else for (const [labels, n] of v) if (n > 0) this.inc(labels, n);
    },
  });
}

/** A gauge read at scrape time. */
export function gaugeFrom<L extends string = never>(
  registry: Registry,
  name: string,
  help: string,
  read: () => number | readonly Sample<L>[] | Promise<number | readonly Sample<L>[]>,
  labelNames: readonly L[] = [],
): Gauge<L> {
  return new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      const v = await read();
      this.reset();
      if (typeof v === 'number') (this as Gauge).set(v);
      else for (const [labels, n] of v) this.set(labels, n);
    },
  });
}
