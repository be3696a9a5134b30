/** Turning a SIP URI into the Destination a branch is sent to (RFC 3263 simplified: no NAPTR/SRV). */
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { isSipUri, parseNameAddr, parseUri, type SipUri } from '@strata/parser';
import type { Destination, TransportProtocol } from '@strata/transport';

export function uriTransport(uri: SipUri): TransportProtocol {
  const t = uri.params.get('transport')?.toLowerCase();
  if (t === 'tcp' || t === 'tls' || t === 'ws' || t === 'wss' || t === 'udp') return t;
  return uri.scheme === 'sips' ? 'tls' : 'udp';
}

/**
 * The next hop for a URI: maddr if present, else host; the port, else the
 * transport's default; hostnames through the system resolver (A/AAAA).
 */
export async function destinationOf(uriText: string): Promise<Destination> {
  const uri = parseUri(uriText.startsWith('<') ? uriText.slice(1, uriText.indexOf('>')) : uriText);
  if (!isSipUri(uri)) throw new Error(`cannot route to ${uriText}`);
  const alias = aliasOf(uri);
  if (alias !== null) return alias;
  const transport = uriTransport(uri);
  const maddr = uri.params.get('maddr');
  const host = maddr ?? (uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host);
  const port = uri.port ?? (transport === 'tls' || transport === 'wss' ? 5061 : 5060);
  const address = isIP(host) !== 0 ? host : await hostCache.resolve(host);
  return { transport, address, port };
}

/**
 * Hostname → address for destinationOf, cached: a name is looked up once, then
 * served from the cache; after `ttlMs` the cached address is still served while
 * one lookup refreshes it in the background. Without it every routed request
 * (media group `sip:asterisk:5060`, Route headers naming the edge) waited on
 * getaddrinfo, which libuv runs at most two at a time — one lost DNS answer
 * (aardvark-dns drops queries while a container joins or leaves the network)
 * held every lookup of the process for the resolver timeout (5 s or more).
 */
export class HostCache {
  private readonly entries = new Map<string, { address: string; expires: number }>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    private readonly options: {
      ttlMs: number;
      maxEntries: number;
      lookup?: (host: string) => Promise<string>;
      now?: () => number;
    },
  ) {}

  async resolve(host: string): Promise<string> {
    const key = host.toLowerCase();
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      if (hit.expires <= this.now()) this.fetch(key).catch(() => {}); // keep serving the last answer
      return hit.address;
    }
    return this.fetch(key);
  }

  clear(): void {
    this.entries.clear();
  }

  private fetch(key: string): Promise<string> {
    let p = this.pending.get(key);
    if (p === undefined) {
      const lookupFn = this.options.lookup ?? (async (h: string) => (await lookup(h)).address);
      p = lookupFn(key)
        .then((address) => {
          if (!this.entries.has(key) && this.entries.size >= this.options.maxEntries)
            this.entries.delete(this.entries.keys().next().value!);
          this.entries.set(key, { address, expires: this.now() + this.options.ttlMs });
          return address;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}

/** The cache destinationOf uses (names of media servers, peers, edges: a handful). */
export const hostCache = new HostCache({ ttlMs: 10_000, maxEntries: 1024 });

/** The URI inside a Route/Path value (`<sip:…;lr>`). */
export function routeUri(value: string): string {
  const na = parseNameAddr(value);
  const u = na.uri;
  if (!isSipUri(u)) throw new Error(`not a SIP route: ${value}`);
  return value.slice(value.indexOf('<') + 1, value.indexOf('>'));
}

/** The transport a URI text asks for (sip: → udp unless ;transport=). */
export function uriTransportOf(uriText: string): TransportProtocol {
  const uri = parseUri(uriText.startsWith('<') ? uriText.slice(1, uriText.indexOf('>')) : uriText);
  if (!isSipUri(uri)) throw new Error(`not a SIP URI: ${uriText}`);
  return uriTransport(uri);
}

/**
 * The NAT alias a core added to a Contact (`;alias=203.0.113.7~40312~udp`, the idea of
 * Kamailio's add_contact_alias): where the UA really is. Null when absent or malformed.
 */
export function aliasOf(uri: SipUri): Destination | null {
  const a = uri.params.get('alias');
  if (a == null) return null;
  const [address, port, t] = a.split('~');
  const p = Number(port);
  if (address === undefined || isIP(address) === 0 || !Number.isInteger(p) || p < 1 || p > 65535)
    return null;
  const transport = (t ?? 'udp').toLowerCase();
  if (
    transport !== 'udp' &&
    transport !== 'tcp' &&
    transport !== 'tls' &&
    transport !== 'ws' &&
    transport !== 'wss'
  )
    return null;
  return { transport, address, port: p };
}

/** The Request-URI with our alias parameter removed (the UA gets back the Contact it sent). */
export function stripAlias(uriText: string): string {
  return uriText.replace(/;alias=[^;?>]*/i, '');
}
