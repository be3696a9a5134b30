/**
 * The cluster's cores as `address:port` keys: a Route or Record-Route entry naming any of
 * them is ours (failover, issue #7). Peers are configured by name (`core-b:5060`), but a
 * Route may come back carrying the peer's address instead — Asterisk with
 * rewrite_contact=yes, or a NAT, rewrites the hop to the source address it saw. So peer
 * names are resolved at start and periodically, and every address a name had recently
 * stays recognised: when a core dies its name may vanish from DNS (podman removes a dead
 * container's record) exactly when its address matters most.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export type LookupAll = (host: string) => Promise<string[]>;

export interface ClusterPeersOptions {
  /** re-resolve names this often */
  refreshMs?: number;
  /** forget an address no lookup has returned for this long */
  retainMs?: number;
  lookup?: LookupAll;
  now?: () => number;
}

/** "127.0.0.1:5071" / "sip:core-b:5071;transport=udp" / "[::1]" → "127.0.0.1:5071" (port defaults to 5060). */
export function normalisePeer(peer: string): string {
  const hp = peer
    .replace(/^sips?:/i, '')
    .split(';')[0]!
    .toLowerCase();
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(hp) ?? /^([^:]+)(?::(\d+))?$/.exec(hp);
  if (m === null) return hp;
  return `${m[1]}:${m[2] ?? '5060'}`;
}

const defaultLookup: LookupAll = async (host) =>
  (await lookup(host, { all: true })).map((a) => a.address.toLowerCase());

export class ClusterPeers {
  /** what the config names: `host:port`, names as written (lower case) */
  readonly configured: ReadonlySet<string>;
  /** resolved `address:port` → when a lookup last returned it */
  private readonly resolved = new Map<string, number>();
  private readonly named: { host: string; port: string }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inflight: Promise<void> | null = null;
  private readonly refreshMs: number;
  private readonly retainMs: number;
  private readonly lookupAll: LookupAll;
  private readonly now: () => number;

  constructor(peers: readonly string[], options: ClusterPeersOptions = {}) {
    this.refreshMs = options.refreshMs ?? 30_000;
    this.retainMs = options.retainMs ?? 3_600_000;
    this.lookupAll = options.lookup ?? defaultLookup;
    this.now = options.now ?? Date.now;
    const keys = peers.map(normalisePeer);
    this.configured = new Set(keys);
    for (const key of keys) {
      const i = key.lastIndexOf(':');
      const host = key.slice(0, i);
      if (isIP(host) === 0) this.named.push({ host, port: key.slice(i + 1) });
    }
  }

  /** `host:port` (lower case, IPv6 without brackets) is one of the cluster's cores. */
  has(hostPort: string): boolean {
    return this.configured.has(hostPort) || this.resolved.has(hostPort);
  }

  /** Resolve now, then every `refreshMs` (the timer does not hold the process open). */
  start(): Promise<void> {
    if (this.timer === null && this.named.length > 0) {
      this.timer = setInterval(() => void this.refresh(), this.refreshMs);
      this.timer.unref();
    }
    return this.refresh();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * One round of lookups; a failed lookup keeps what the name resolved to before. A round
   * still waiting on a lost DNS answer is joined, not doubled.
   */
  refresh(): Promise<void> {
    this.inflight ??= this.lookupRound().finally(() => (this.inflight = null));
    return this.inflight;
  }

  private async lookupRound(): Promise<void> {
    await Promise.all(
      this.named.map(async ({ host, port }) => {
        let addresses: string[];
        try {
          addresses = await this.lookupAll(host);
        } catch {
          return;
        }
        const at = this.now();
        for (const a of addresses) this.resolved.set(`${a.toLowerCase()}:${port}`, at);
      }),
    );
    const oldest = this.now() - this.retainMs;
    for (const [key, seen] of this.resolved) if (seen < oldest) this.resolved.delete(key);
  }
}
