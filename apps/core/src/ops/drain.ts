/**
 * Graceful drain (#9), on SIGTERM or POST /admin/drain: the core answers OPTIONS probes
 * with 503 (the edges' probes mark it down for new Call-IDs, while in-dialog requests still
 * reach it) and new INVITEs with 503, keeps serving in-dialog requests until its last
 * dialog ends or the deadline passes, then `finish()` runs (stop, exit 0).
 */
import type { Logger } from 'pino';
import type { CoreNode } from '../core-node.js';

export interface DrainStatus {
  draining: boolean;
  startedAt: number | null;
  deadlineAt: number | null;
  activeDialogs: number;
  reason: string | null;
}

export class CoreDrain {
  private startedAt: number | null = null;
  private deadlineAt: number | null = null;
  private reason: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private finished = false;

  constructor(
    private readonly core: CoreNode,
    private readonly deadlineMs: number,
    private readonly finish: (why: 'idle' | 'deadline') => void,
    private readonly logger: Logger,
    private readonly pollMs = 200,
  ) {}

  get draining(): boolean {
    return this.startedAt !== null;
  }

  start(reason: string): DrainStatus {
    if (this.startedAt === null) {
      this.startedAt = Date.now();
      this.deadlineAt = this.startedAt + this.deadlineMs;
      this.reason = reason;
      this.core.draining = true;
      this.logger.info(
        { reason, deadlineMs: this.deadlineMs, activeDialogs: this.active() },
        'draining: new INVITEs and probes get 503',
      );
      // check at once (nothing up: done), then every pollMs; the first idle check after
      // zero leaves one poll interval for the last BYE's 200 to leave the socket
      let idleSeen = false;
      const tick = (): void => {
        const active = this.active();
        if (active === 0) {
          if (idleSeen) return this.done('idle');
          idleSeen = true;
        } else idleSeen = false;
        if (Date.now() >= this.deadlineAt!) return this.done('deadline');
        this.timer = setTimeout(tick, this.pollMs);
      };
      tick();
    }
    return this.status();
  }

  status(): DrainStatus {
    return {
      draining: this.draining,
      startedAt: this.startedAt,
      deadlineAt: this.deadlineAt,
      activeDialogs: this.active(),
      reason: this.reason,
    };
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private active(): number {
    return this.core.dialogs.metrics().active;
  }

  private done(why: 'idle' | 'deadline'): void {
    if (this.finished) return;
    this.finished = true;
    this.stop();
    this.logger.info(
      { why, activeDialogs: this.active(), drainedMs: Date.now() - (this.startedAt ?? Date.now()) },
      'drain complete',
    );
    this.finish(why);
  }
}
