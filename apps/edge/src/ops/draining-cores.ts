/**
 * Which cores are draining (#9). A draining core answers the edge's OPTIONS probes with
 * 503: the prober counts that as a miss and takes the core out of the ring for new
 * Call-IDs. But its calls are still up there, so in-dialog requests must keep reaching
 * it — unlike a dead core's, which go to the next live node (and Redis takeover).
 *
 * This tracker watches the probe answers: a core whose latest answer was a 503 is
 * draining, for as long as it keeps answering (no answer for `staleMs` → it is gone,
 * not draining, and its calls fail over as usual).
 */
import type { SipMessage } from '@strata/parser';
import type { CoreNode } from '../ring.js';

export class DrainingCores {
  private readonly byHostPort: Map<string, string>;
  /** core id → time of its latest 503 probe answer */
  private readonly last503 = new Map<string, number>();
  /** the current view, replaced (not mutated) on change */
  private current: ReadonlySet<string> = new Set();

  constructor(
    cores: readonly CoreNode[],
    private readonly staleMs: number,
    private readonly onChange: (ids: ReadonlySet<string>) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {
    this.byHostPort = new Map(
      cores.map((c) => [`${(c.host ?? c.address).toLowerCase()}:${c.port}`, c.id] as const),
    );
  }

  get ids(): ReadonlySet<string> {
    return this.current;
  }

  /** Every message read from the probe sockets. */
  observe(msg: SipMessage): void {
    if (msg.isRequest || msg.status < 200) return;
    const id = this.coreOf(msg);
    if (id === undefined) return;
    if (msg.status === 503) this.last503.set(id, this.now());
    else this.last503.delete(id);
    this.refresh();
  }

  /** Re-evaluate staleness (call it every probe interval). */
  refresh(): void {
    const now = this.now();
    const next = new Set<string>();
    for (const [id, at] of this.last503) {
      if (now - at <= this.staleMs) next.add(id);
      else this.last503.delete(id);
    }
    if (next.size === this.current.size && [...next].every((id) => this.current.has(id))) return;
    this.current = next;
    this.onChange(next);
  }

  /** Probe requests carry `To: <sip:host:port>` of the core; the answer echoes it. */
  private coreOf(msg: SipMessage): string | undefined {
    const to = msg.headers.get('to');
    if (to === undefined) return undefined;
    const m = /sips?:(\[[^\]]+\]|[^:;>]+)(?::(\d+))?/i.exec(to);
    if (m === null) return undefined;
    const host = m[1]!.replace(/^\[|\]$/g, '').toLowerCase();
    return this.byHostPort.get(`${host}:${m[2] ?? '5060'}`);
  }
}
