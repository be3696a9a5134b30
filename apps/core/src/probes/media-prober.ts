/**
 * Media-server health (Kamailio dispatcher probing): an OPTIONS to every server of every
 * group each `probe.intervalMs`; `downAfter` misses in a row mark a server down (no new
 * calls go to it), `upAfter` answers in a row bring it back.
 */
import type { Logger } from 'pino';
import type { TransactionLayer } from '@strata/transaction';
import type { MediaGroup } from '../media/media-group.js';
import { destinationOf } from '../routing/resolve.js';
import { buildOptions, isAlive, ping } from './options-ping.js';

interface ServerProbe {
  misses: number;
  answers: number;
  lastStatus: number | string | null;
}

export class MediaProber {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly state = new Map<string, ServerProbe>();
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly layer: TransactionLayer,
    private readonly groups: ReadonlyMap<string, MediaGroup>,
    private readonly from: string,
    private readonly logger: Logger,
  ) {}

  start(): void {
    for (const group of this.groups.values()) {
      if (!group.config.probe.enabled) continue;
      const tick = (): void => {
        for (const t of group.targets) void this.probe(group, t.uri);
      };
      tick();
      const timer = setInterval(tick, group.config.probe.intervalMs);
      timer.unref();
      this.timers.push(timer);
    }
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
  }

  snapshot(): Record<string, ServerProbe> {
    return Object.fromEntries(this.state);
  }

  private async probe(group: MediaGroup, uri: string): Promise<void> {
    const key = `${group.name} ${uri}`;
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    try {
      const p = group.config.probe;
      let alive = false;
      let status: number | string;
      try {
        const outcome = await ping(
          this.layer,
          buildOptions(uri, this.from),
          await destinationOf(uri),
          p.timeoutMs,
        );
        alive = isAlive(outcome);
        status = 'status' in outcome ? outcome.status : outcome.error;
      } catch {
        status = 'unresolvable';
      }
      let s = this.state.get(key);
      if (s === undefined) this.state.set(key, (s = { misses: 0, answers: 0, lastStatus: null }));
      s.lastStatus = status;
      const target = group.targets.find((t) => t.uri === uri);
      if (target === undefined) return;
      if (alive) {
        s.misses = 0;
        s.answers++;
        if (!target.up && s.answers >= p.upAfter) {
          group.setUp(uri, true);
          this.logger.info({ group: group.name, server: uri }, 'media server up');
        }
      } else {
        s.answers = 0;
        s.misses++;
        if (target.up && s.misses >= p.downAfter) {
          group.setUp(uri, false);
          this.logger.warn({ group: group.name, server: uri, status }, 'media server down');
        }
      }
    } finally {
      this.inFlight.delete(key);
    }
  }
}
