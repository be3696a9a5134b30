/**
 * NAT keep-alive for registered UDP contacts (issue #7): every `natKeepaliveSeconds` an
 * OPTIONS goes to each UDP binding the way a call would (its Path, else its NAT source,
 * else its Contact), which keeps the NAT pinhole open; a binding that misses
 * `natKeepaliveFailures` answers in a row is removed from the location service.
 * Stream flows are kept alive by the UA's own CRLF pings (RFC 5626), not here.
 */
import type { Logger } from 'pino';
import type { TransactionLayer } from '@strata/transaction';
import type { Binding } from '../registrar/binding.js';
import type { LocationStore } from '../registrar/location-store.js';
import { bindingTarget } from '../routing/router.js';
import { routeUri, uriTransportOf } from '../routing/resolve.js';
import { buildOptions, isAlive, ping } from './options-ping.js';

export interface NatKeepaliveOptions {
  intervalMs: number;
  failures: number;
  timeoutMs: number;
  /** From of the OPTIONS: the core's own URI */
  from: string;
}

export class NatKeepalive {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  /** consecutive misses per aor + contact */
  private readonly misses = new Map<string, number>();
  readonly counters = { sent: 0, failed: 0, removed: 0 };

  constructor(
    private readonly layer: TransactionLayer,
    private readonly store: LocationStore,
    private readonly options: NatKeepaliveOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.options.intervalMs <= 0 || this.timer !== null) return;
    this.timer = setInterval(() => void this.round(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One round over every live UDP binding (a round still running is not overlapped). */
  async round(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const aors = await this.store.listAors();
      const seen = new Set<string>();
      const work: Promise<void>[] = [];
      for (const aor of aors) {
        for (const b of await this.store.get(aor)) {
          if (!isUdp(b)) continue;
          const key = `${b.aor} ${b.contact}`;
          seen.add(key);
          work.push(this.probe(b, key));
        }
      }
      await Promise.all(work);
      for (const k of this.misses.keys()) if (!seen.has(k)) this.misses.delete(k);
    } catch (err) {
      this.logger.warn({ err }, 'NAT keep-alive round failed');
    } finally {
      this.running = false;
    }
  }

  private async probe(b: Binding, key: string): Promise<void> {
    let alive = false;
    try {
      const t = await bindingTarget(b);
      this.counters.sent++;
      const outcome = await ping(
        this.layer,
        buildOptions(b.contact, this.options.from, t.routes ?? []),
        t.destination,
        this.options.timeoutMs,
      );
      alive = isAlive(outcome);
    } catch {
      alive = false;
    }
    if (alive) {
      this.misses.delete(key);
      return;
    }
    this.counters.failed++;
    const n = (this.misses.get(key) ?? 0) + 1;
    this.misses.set(key, n);
    if (n >= this.options.failures) {
      this.misses.delete(key);
      this.counters.removed++;
      await this.store.remove(b.aor, b.contact);
      this.logger.info(
        { aor: b.aor, contact: b.contact, misses: n },
        'contact removed: keep-alive failed',
      );
    }
  }
}

/** The transport towards the UA: the edge's Path names the client side's transport. */
function isUdp(b: Binding): boolean {
  try {
    if (b.path.length > 0) return uriTransportOf(routeUri(b.path[0]!)) === 'udp';
    if (b.received !== null) return b.received.transport === 'udp';
    return uriTransportOf(b.contact) === 'udp';
  } catch {
    return false;
  }
}
