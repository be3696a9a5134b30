/**
 * Core addresses by name, resolved off the hot path.
 *
 * A core configured by hostname (`sip:core-1:5070`, the compose service name) is
 * resolved here — once before forwarding starts to matter and then every
 * `intervalMs` in the background — and the ring node's `address` is set to the
 * IP. Forwarding and probes then send to an IP: no `dns.lookup` per message.
 * Without this every forwarded request and every probe waited on getaddrinfo,
 * which libuv runs at most two at a time; one lost DNS answer (aardvark-dns drops
 * queries while a container joins or leaves the network) held every send of the
 * process for the resolver timeout (5 s, up to 20 s with retries), probes timed
 * out and the cores were marked down. It also lets `isFromCore` recognise a core's
 * requests by their source IP.
 *
 * A failed lookup keeps the last address (the configured name before the first
 * success, which the transport still resolves per message, as before).
 */
import { isIP } from 'node:net';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { Logger } from 'pino';
import type { CoreNode } from './ring.js';

export type LookupFn = (host: string) => Promise<string>;

const defaultLookup: LookupFn = async (host) => (await dnsLookup(host)).address;

export class CoreAddressResolver {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly nodes: readonly CoreNode[],
    private readonly options: {
      intervalMs: number;
      /** a lookup slower than this is abandoned for this round */
      timeoutMs: number;
      /** after an address changed (node.address is already updated) */
      onChange?: (node: CoreNode, previous: string) => void;
      lookup?: LookupFn;
      logger?: Logger;
    },
  ) {}

  /** Cores configured by name (nothing to do for IPs). */
  get named(): CoreNode[] {
    return this.nodes.filter((n) => isIP(hostOf(n)) === 0);
  }

  /** Resolve every named core now; concurrent calls share one round. */
  refresh(): Promise<void> {
    this.running ??= this.round().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** First round at once, then every intervalMs (timers unref'd). */
  start(): void {
    if (this.timer !== null || this.named.length === 0) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private async round(): Promise<void> {
    const lookup = this.options.lookup ?? defaultLookup;
    await Promise.all(
      this.named.map(async (node) => {
        const host = hostOf(node);
        let address: string;
        try {
          address = await withTimeout(lookup(host), this.options.timeoutMs);
        } catch (err) {
          this.options.logger?.debug({ core: node.id, host, err }, 'core lookup failed');
          return;
        }
        if (address === node.address) return;
        const previous = node.address;
        node.address = address;
        this.options.logger?.info({ core: node.id, host, address, previous }, 'core address');
        this.options.onChange?.(node, previous);
      }),
    );
  }
}

/** The name a core was configured with (its address when it was configured by IP). */
export function hostOf(node: CoreNode): string {
  return node.host ?? node.address;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`lookup timed out after ${ms} ms`)), ms);
    t.unref();
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
