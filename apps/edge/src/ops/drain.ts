/**
 * Edge drain (#9), on SIGTERM or POST /admin/drain. The edge holds no calls, so draining is
 * about letting traffic move away without failures:
 *   1. at once: /ready answers 503 (load balancers / DNS health checks stop sending);
 *   2. after `graceMs`: new initial requests get 503 + Retry-After (clients retry elsewhere);
 *      in-dialog requests and responses are still forwarded;
 *   3. after `lingerMs` more: exit 0.
 */
import type { Logger } from 'pino';

export interface EdgeDrainStatus {
  draining: boolean;
  phase: 'serving' | 'grace' | 'rejecting-new';
  startedAt: number | null;
  rejectNewAt: number | null;
  exitAt: number | null;
  reason: string | null;
}

export class EdgeDrain {
  private startedAt: number | null = null;
  private reason: string | null = null;
  private rejecting = false;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly graceMs: number,
    private readonly lingerMs: number,
    private readonly hooks: { rejectNew: () => void; finish: () => void },
    private readonly logger: Logger,
  ) {}

  get draining(): boolean {
    return this.startedAt !== null;
  }

  start(reason: string): EdgeDrainStatus {
    if (this.startedAt !== null) return this.status();
    this.startedAt = Date.now();
    this.reason = reason;
    this.logger.info(
      { reason, graceMs: this.graceMs, lingerMs: this.lingerMs },
      'draining: not ready',
    );
    this.timers.push(
      setTimeout(() => {
        this.rejecting = true;
        this.logger.info('draining: new initial requests get 503');
        this.hooks.rejectNew();
        this.timers.push(setTimeout(() => this.hooks.finish(), this.lingerMs));
      }, this.graceMs),
    );
    return this.status();
  }

  status(): EdgeDrainStatus {
    const s = this.startedAt;
    return {
      draining: s !== null,
      phase: s === null ? 'serving' : this.rejecting ? 'rejecting-new' : 'grace',
      startedAt: s,
      rejectNewAt: s === null ? null : s + this.graceMs,
      exitAt: s === null ? null : s + this.graceMs + this.lingerMs,
      reason: this.reason,
    };
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.length = 0;
  }
}
