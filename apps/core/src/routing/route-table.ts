/**
 * The route table: the first route whose match holds decides the mode
 * (stateless, transaction, dialog — ARCHITECTURE.md §4) and the targets.
 * Compiled once per (re)load; matching allocates nothing but the result.
 */
import type { BlockList } from 'node:net';
import { BlockList as NetBlockList, isIPv6 } from 'node:net';
import { isSipUri, isTelUri, unescapeUriPart, type SipRequest } from '@strata/parser';
import type { MessageSource } from '@strata/transport';
import type { RouteConfig } from '../config.js';

export type RouteMode = 'stateless' | 'transaction' | 'dialog';

export interface CompiledRoute {
  config: RouteConfig;
  methods: ReadonlySet<string> | null;
  user: RegExp | null;
  prefix: readonly string[] | null;
  domain: ReadonlySet<string> | null;
  source: BlockList | null;
  headers: readonly [string, RegExp][];
}

export interface RouteMatch {
  route: RouteConfig;
  mode: RouteMode;
}

export class RouteTable {
  private readonly routes: CompiledRoute[];

  constructor(configs: readonly RouteConfig[]) {
    this.routes = configs.map(compile);
  }

  match(req: SipRequest, source: MessageSource | null): RouteMatch | null {
    let user: string | null = null;
    let domain: string | null = null;
    try {
      const uri = req.requestUri;
      if (isSipUri(uri)) {
        user = uri.user === null ? null : unescapeUriPart(uri.user);
        domain = (uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host).toLowerCase();
      } else if (isTelUri(uri)) {
        user = uri.number;
      }
    } catch {
      return null;
    }
    for (const r of this.routes) {
      if (r.methods !== null && !r.methods.has(req.method)) continue;
      if (r.user !== null && (user === null || !r.user.test(user))) continue;
      if (r.prefix !== null && (user === null || !r.prefix.some((p) => user.startsWith(p))))
        continue;
      if (r.domain !== null && (domain === null || !r.domain.has(domain))) continue;
      if (
        r.source !== null &&
        (source === null ||
          !r.source.check(source.address, isIPv6(source.address) ? 'ipv6' : 'ipv4'))
      )
        continue;
      if (!r.headers.every(([name, re]) => re.test(req.headers.get(name) ?? ''))) continue;
      return {
        route: r.config,
        mode: r.config.mode ?? (req.method === 'INVITE' ? 'dialog' : 'transaction'),
      };
    }
    return null;
  }
}

function compile(config: RouteConfig): CompiledRoute {
  const m = config.match;
  let source: BlockList | null = null;
  if (m.source !== undefined) {
    source = new NetBlockList();
    for (const entry of m.source) {
      const [addr, bits] = entry.split('/');
      const type = isIPv6(addr ?? '') ? 'ipv6' : 'ipv4';
      if (bits === undefined) source.addAddress(addr!, type);
      else source.addSubnet(addr!, Number(bits), type);
    }
  }
  return {
    config,
    methods: m.methods === undefined ? null : new Set(m.methods.map((x) => x.toUpperCase())),
    user: m.user === undefined ? null : new RegExp(m.user),
    prefix: m.prefix ?? null,
    domain: m.domain === undefined ? null : new Set(m.domain.map((d) => d.toLowerCase())),
    source,
    headers: Object.entries(m.headers ?? {}).map(
      ([k, v]) => [k, new RegExp(v)] as [string, RegExp],
    ),
  };
}
