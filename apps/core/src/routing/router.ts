/**
 * The core's routing logic, given to the transaction layer's stateful proxy:
 * matches the route table, resolves the route's target alternatives
 * (registrar lookup, static URIs, media-server groups, hunt groups) into
 * proxy targets, and on failure walks the media group's failover order or the
 * hunt group's next member (Kamailio's failure_route idea).
 */
import { isSipUri, type SipRequest } from '@strata/parser';
import type { FailureContext, ProxyTarget, RouteDecision } from '@strata/transaction';
import type { MessageSource } from '@strata/transport';
import type { Logger } from 'pino';
import type { CoreConfig, HuntGroupConfig, TargetConfig } from '../config.js';
import type { CallForwarding } from '../forwarding/call-forwarding.js';
import type { LcrOutcome, LcrRouter } from '../lcr/lcr-router.js';
import type { MediaCalls } from '../media/media-calls.js';
import type { MediaGroup } from '../media/media-group.js';
import { lookupAor } from '../registrar/aor.js';
import type { Binding } from '../registrar/binding.js';
import type { Registrar } from '../registrar/registrar.js';
import { destinationOf, routeUri, stripAlias } from './resolve.js';
import type { RouteMatch, RouteTable } from './route-table.js';

/** Targets still to try for a call, kept on the request object for the failure hook. */
interface Pending {
  kind: 'media' | 'hunt';
  group: string;
  next: ProxyTarget[];
  /** media: the server URI of each target in `next` (active-call accounting) */
  servers?: string[];
  /** statuses that move on (media: the group's failoverOn + timeouts) */
  moveOn: (status: number) => boolean;
}

export class CoreRouter {
  private readonly pending = new WeakMap<SipRequest, Pending>();

  constructor(
    private readonly table: () => RouteTable,
    private readonly registrar: Registrar,
    private readonly mediaGroups: ReadonlyMap<string, MediaGroup>,
    private readonly huntGroups: () => Readonly<Record<string, HuntGroupConfig>>,
    private readonly config: Pick<CoreConfig, 'nodeId'>,
    private readonly logger: Logger,
    /** active-call accounting of dialog-mode calls sent to media groups */
    private readonly mediaCalls?: MediaCalls,
    /** issue #13: least-cost routing (`lcr` targets) and call forwarding (INVITEs to users) */
    private readonly features: {
      lcr?: LcrRouter;
      forwarding?: CallForwarding;
      /** issue #14: headers on an INVITE's branches to a media server (X-Strata-Record) */
      mediaHeaders?: (
        req: SipRequest,
      ) => readonly (readonly [string, string])[] | Promise<readonly (readonly [string, string])[]>;
    } = {},
  ) {}

  /** The route for an initial request, or null (404). */
  match(req: SipRequest, source: MessageSource): RouteMatch | null {
    return this.table().match(req, source);
  }

  /**
   * The proxy's router callback (REGISTER and local OPTIONS are handled before
   * this). `match` is the route the caller already looked up, if any.
   */
  async route(
    req: SipRequest,
    source: MessageSource,
    known?: RouteMatch | null,
  ): Promise<RouteDecision> {
    // In-dialog requests follow the route set (loose routing, RFC 3261 §16.12): the
    // proxy already removed our own Route; the next hop is the next Route or the Request-URI.
    if (req.toTag !== null || req.method === 'ACK') return this.inDialog(req);
    const match = known === undefined ? this.match(req, source) : known;
    if (match === null) return { action: 'reply', status: 404, reason: 'Not Found' };
    // LCR/forwarding may answer themselves (no route, loop); a later alternative still wins
    let answer: RouteDecision | null = null;
    for (const alt of match.route.targets) {
      const outcome = await this.feature(req, alt, match.mode === 'dialog');
      if (outcome !== null && 'reply' in outcome) {
        answer ??= { action: 'reply', ...outcome.reply };
        continue;
      }
      const targets =
        outcome?.targets ?? (await this.resolveAlternative(req, alt, match.mode === 'dialog'));
      if (targets.length > 0) return { action: 'relay', targets };
    }
    // registrar-only routes: the user is not registered (RFC 3261 §16.5: empty target set → 480)
    return answer ?? { action: 'reply', status: 480, reason: 'Temporarily Unavailable' };
  }

  /** An `lcr` target, or a user's INVITE when forwarding is on; null: not a feature's. */
  private async feature(
    req: SipRequest,
    alt: TargetConfig,
    tracked: boolean,
  ): Promise<LcrOutcome | null> {
    const { lcr, forwarding } = this.features;
    if ('lcr' in alt) {
      if (lcr === undefined || req.method !== 'INVITE') return { targets: [] };
      return lcr.route(req, alt.lcr === true ? 'default' : alt.lcr, { tracked });
    }
    if ('registrar' in alt && forwarding !== undefined && req.method === 'INVITE')
      return forwarding.route(req);
    return null;
  }

  /** The proxy's failure hook: LCR failover, forwarding, media failover and sequential hunting. */
  onFailure(ctx: FailureContext): void | Promise<void> {
    const { lcr, forwarding } = this.features;
    // RFC 3261 §16.7 item 5: no new branches after a 6xx; the proxy runs this hook after
    // one only for call forwarding, which may treat 600 Busy Everywhere as busy
    if (ctx.after6xx)
      return forwarding?.owns(ctx.request) === true ? forwarding.onFailure(ctx) : undefined;
    if (lcr?.owns(ctx.request) === true) return lcr.onFailure(ctx);
    if (forwarding?.owns(ctx.request) === true) return forwarding.onFailure(ctx);
    const p = this.pending.get(ctx.request);
    if (p === undefined || p.next.length === 0) return;
    const last = ctx.responses[ctx.responses.length - 1];
    const status = last?.status ?? 408;
    if (!p.moveOn(status)) return;
    const next = p.next.shift()!;
    const server = p.servers?.shift();
    if (server !== undefined) this.mediaCalls?.assign(ctx.request.callId, p.group, server);
    this.logger.debug(
      { callId: ctx.request.callId, group: p.group, status, next: next.uri },
      'trying next target',
    );
    ctx.addTargets([next]);
  }

  private async inDialog(req: SipRequest): Promise<RouteDecision> {
    const routes = req.headers.values('route');
    const hop = routes.length > 0 ? routeUri(routes[0]!) : req.uri;
    try {
      const destination = await destinationOf(hop);
      // last hop towards a UA behind NAT: the alias we put in its Contact names where it is
      const uri = routes.length === 0 ? stripAlias(req.uri) : req.uri;
      this.logger.debug(
        { callId: req.callId, method: req.method, uri, destination },
        'in-dialog relay',
      );
      return { action: 'relay', targets: [{ uri, destination }] };
    } catch {
      return { action: 'reply', status: 404, reason: 'Not Found' };
    }
  }

  private async resolveAlternative(
    req: SipRequest,
    alt: TargetConfig,
    tracked: boolean,
  ): Promise<ProxyTarget[]> {
    if ('registrar' in alt) return this.registered(req);
    if ('uri' in alt) return [{ uri: alt.uri, destination: await destinationOf(alt.uri) }];
    if ('mediaGroup' in alt) return this.media(req, alt.mediaGroup, tracked);
    if ('huntGroup' in alt) return this.hunt(req, alt.huntGroup);
    return [];
  }

  private async registered(req: SipRequest): Promise<ProxyTarget[]> {
    let aor: string | null;
    try {
      aor = lookupAor(req.requestUri);
    } catch {
      return [];
    }
    if (aor === null) return [];
    return this.contactsOf(aor);
  }

  /** An AoR's registered contacts as branches. */
  async contactsOf(aor: string): Promise<ProxyTarget[]> {
    const bindings = await this.registrar.lookup(aor);
    const out: ProxyTarget[] = [];
    for (const b of bindings) {
      try {
        out.push(await bindingTarget(b));
      } catch (err) {
        this.logger.warn({ err, contact: b.contact }, 'binding not routable');
      }
    }
    return out;
  }

  /** `tracked`: a dialog-mode INVITE, whose confirmed/terminated events count it on the server. */
  private async media(req: SipRequest, name: string, tracked: boolean): Promise<ProxyTarget[]> {
    const group = this.mediaGroups.get(name);
    if (group === undefined) return [];
    const order = group.order(req.callId);
    if (order.length === 0) return [];
    const targets: ProxyTarget[] = [];
    const headers = (await this.features.mediaHeaders?.(req)) ?? [];
    for (const t of order)
      targets.push({
        uri: mediaRequestUri(req, t.uri),
        destination: await destinationOf(t.uri),
        ...(headers.length > 0 ? { headers } : {}),
      });
    const [first, ...rest] = targets;
    const count = tracked && req.method === 'INVITE' && this.mediaCalls !== undefined;
    if (count) this.mediaCalls.assign(req.callId, name, order[0]!.uri);
    this.pending.set(req, {
      kind: 'media',
      group: name,
      next: rest,
      ...(count ? { servers: order.slice(1).map((t) => t.uri) } : {}),
      moveOn: (s) => group.isFailover(s) || s === 408,
    });
    return [first!];
  }

  private async hunt(req: SipRequest, name: string): Promise<ProxyTarget[]> {
    const hg = this.huntGroups()[name];
    if (hg === undefined) return [];
    const members = hg.strategy === 'weighted' ? weightedOrder(hg.members) : hg.members;
    const targets: ProxyTarget[] = [];
    for (const m of members) {
      if (m.target.startsWith('sip:') && m.target.includes('@')) {
        // a user: ring their registered contacts, or the URI itself when not registered here
        const aor = m.target.toLowerCase();
        const bindings = await this.registrar.lookup(aor);
        if (bindings.length > 0) {
          for (const b of bindings)
            targets.push({ ...(await bindingTarget(b)), timeout: hg.ringSeconds * 1000 });
          continue;
        }
      }
      try {
        targets.push({
          uri: m.target,
          destination: await destinationOf(m.target),
          timeout: hg.ringSeconds * 1000,
        });
      } catch {
        this.logger.warn({ group: name, member: m.target }, 'hunt group member not routable');
      }
    }
    if (hg.strategy === 'parallel' || targets.length === 0) return targets;
    const [first, ...rest] = targets;
    // sequential: move on after no answer (Timer C → 408), busy, or failure; not after 6xx (RFC 3261 §16.7 item 5)
    this.pending.set(req, {
      kind: 'hunt',
      group: name,
      next: rest,
      moveOn: (s) => s < 600 && s !== 487,
    });
    return [first!];
  }
}

/** A registered contact as a branch: via its Path, else its NAT source, else its Contact (RFC 3327, RFC 3581). */
export async function bindingTarget(b: Binding): Promise<ProxyTarget> {
  if (b.path.length > 0) {
    return {
      uri: b.contact,
      destination: await destinationOf(routeUri(b.path[0]!)),
      routes: b.path,
      q: b.q ?? 1,
    };
  }
  const contactDest = await destinationOf(b.contact);
  const r = b.received;
  if (r !== null && (r.address !== contactDest.address || r.port !== contactDest.port)) {
    // behind NAT: keep the Contact as Request-URI but send to where the REGISTER came from
    return {
      uri: b.contact,
      destination: {
        transport: r.transport as typeof contactDest.transport,
        address: r.address,
        port: r.port,
        connectionId: r.connectionId,
      },
      q: b.q ?? 1,
    };
  }
  return { uri: b.contact, destination: contactDest, q: b.q ?? 1 };
}

/** The media server sees the dialled user at its own host (dispatcher rewrites the host part). */
function mediaRequestUri(req: SipRequest, server: string): string {
  try {
    const ruri = req.requestUri;
    const user = isSipUri(ruri) ? ruri.user : null;
    if (user === null) return server;
    return server.replace(/^(sips?:)/, `$1${user}@`);
  } catch {
    return server;
  }
}

function weightedOrder<T extends { weight: number }>(items: readonly T[]): T[] {
  // Efraimidis–Spirakis: order by u^(1/w), a weighted shuffle
  return [...items]
    .map((m) => ({ m, k: Math.random() ** (1 / m.weight) }))
    .sort((a, b) => b.k - a.k)
    .map((x) => x.m);
}
