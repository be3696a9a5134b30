/**
 * The core ring: consistent hashing of Call-IDs onto core nodes (ketama
 * continuum from the `hashring` package, md5, weights and virtual nodes).
 * Same configuration ⇒ same choice on every edge node, with no coordination.
 * A core marked down keeps its points on the ring; its Call-IDs fall through
 * to the next live node in ring order, so only that node's share moves.
 */
import HashRing from 'hashring';

export interface CoreNode {
  id: string;
  /** where requests for this core are sent */
  transport: 'udp' | 'tcp' | 'tls';
  /** IP (or, until resolved, the configured name) requests and probes are sent to */
  address: string;
  /** the configured host when it is a name (URIs, Record-Route matching); see core-resolver.ts */
  host?: string;
  port: number;
  weight: number;
}

export type RejoinPolicy = 'immediate' | 'new-calls-only';

export class CoreRing {
  private readonly ring: HashRing;
  private readonly nodes: ReadonlyMap<string, CoreNode>;
  private readonly up = new Set<string>();
  /** cores that came back recently, with the time their grace ends (new-calls-only policy) */
  private readonly rejoining = new Map<string, number>();

  constructor(
    nodes: readonly CoreNode[],
    private readonly options: {
      vnodes: number;
      rejoin: RejoinPolicy;
      rejoinGraceMs: number;
      now?: () => number;
    },
  ) {
    const weights: Record<string, { weight: number }> = {};
    for (const n of nodes) weights[n.id] = { weight: n.weight };
    this.ring = new HashRing(weights, 'md5', {
      'vnode count': options.vnodes,
      'max cache size': 10_000,
    });
    this.nodes = new Map(nodes.map((n) => [n.id, n]));
    // Until probes say otherwise every core is presumed up: a cold edge must route.
    for (const n of nodes) this.up.add(n.id);
  }

  get size(): number {
    return this.nodes.size;
  }

  node(id: string): CoreNode | undefined {
    return this.nodes.get(id);
  }

  allNodes(): CoreNode[] {
    return [...this.nodes.values()];
  }

  isUp(id: string): boolean {
    return this.up.has(id);
  }

  upCount(): number {
    return this.up.size;
  }

  setUp(id: string, isUp: boolean): void {
    if (!this.nodes.has(id)) return;
    if (isUp && !this.up.has(id)) {
      this.up.add(id);
      if (this.options.rejoin === 'new-calls-only') {
        this.rejoining.set(id, this.now() + this.options.rejoinGraceMs);
      }
    } else if (!isUp) {
      this.up.delete(id);
      this.rejoining.delete(id);
    }
  }

  /**
   * The core for a Call-ID: its owner on the ring when up, else the next live
   * node in ring order. `inDialog` requests skip a core still in its rejoin
   * grace (new-calls-only policy), so calls taken over while it was away stay
   * with the node that has them. Returns undefined when no core is up.
   */
  pick(callId: string, inDialog = false): CoreNode | undefined {
    const owner = this.ring.get(callId);
    if (this.eligible(owner, inDialog)) return this.nodes.get(owner);
    for (const id of this.ring.range(callId, this.nodes.size, true)) {
      if (this.eligible(id, inDialog)) return this.nodes.get(id);
    }
    return undefined;
  }

  /** The ring owner regardless of health (for tests and the admin view). */
  owner(callId: string): string {
    return this.ring.get(callId);
  }

  private eligible(id: string, inDialog: boolean): boolean {
    if (!this.up.has(id)) return false;
    if (!inDialog || this.rejoining.size === 0) return true;
    const until = this.rejoining.get(id);
    if (until === undefined) return true;
    if (this.now() >= until) {
      this.rejoining.delete(id);
      return true;
    }
    return false;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
