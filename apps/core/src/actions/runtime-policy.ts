/**
 * Limits changed at runtime through the admin API (issue #14), over the configured ones:
 * a max call duration cap (replaces the default, caps per-route values) and concurrency
 * limits per route. Lost on restart and on no other node: the config file stays the
 * source of truth (documented in docs/call-control.md).
 */
export class RuntimePolicy {
  /** seconds; null = not set (the config decides) */
  maxDurationCap: number | null = null;
  private readonly concurrency = new Map<string, number>();

  /** The max duration (s, 0 = none) a new call on a route with `routeSeconds` gets. */
  maxDurationSeconds(routeSeconds: number, defaultSeconds: number): number {
    const configured = routeSeconds > 0 ? routeSeconds : defaultSeconds;
    const cap = this.maxDurationCap;
    if (cap === null || cap <= 0) return configured;
    return configured > 0 ? Math.min(configured, cap) : cap;
  }

  /** The concurrency limit of route `name` (0 = off), its runtime value when one is set. */
  concurrencyLimit(name: string, configured: number): number {
    return this.concurrency.get(name) ?? configured;
  }

  setConcurrency(name: string, limit: number | null): void {
    if (limit === null) this.concurrency.delete(name);
    else this.concurrency.set(name, limit);
  }

  snapshot(): { maxDurationCap: number | null; concurrency: Record<string, number> } {
    return {
      maxDurationCap: this.maxDurationCap,
      concurrency: Object.fromEntries(this.concurrency),
    };
  }
}
