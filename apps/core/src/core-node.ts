/**
 * CoreNode: the stateful core. One transaction layer and stateful proxy
 * (RFC 3261 §16/§17) over the transport; the registrar and the route table
 * decide what happens to each new request.
 */
import { ASSERTION_HEADER } from '@strata/auth';
import { DialogTracker, type RequestVerdict } from '@strata/dialog';
import {
  isSipUri,
  parseNameAddr,
  type NameAddr,
  type SipRequest,
  type SipResponse,
  type Uri,
} from '@strata/parser';
import {
  ResponseContext,
  StatefulProxy,
  TransactionLayer,
  type ProxyTarget,
  type RouteDecision,
} from '@strata/transaction';
import type { MessageSource, Transport, TransportProtocol } from '@strata/transport';
import type { Logger } from 'pino';
import type { CoreConfig } from './config.js';
import { CallForwarding } from './forwarding/call-forwarding.js';
import {
  MemoryForwardingStore,
  RedisForwardingStore,
  seedForwarding,
  type ForwardingStore,
} from './forwarding/settings-store.js';
import { Lcr } from './lcr/lcr.js';
import { MediaCalls } from './media/media-calls.js';
import { MediaGroup } from './media/media-group.js';
import { CallControl } from './actions/call-control.js';
import type { CallEvents } from './events/call-events.js';
import { createCallEvents, sharedRedis } from './events/create-call-events.js';
import type { CoreStores } from './dialogs/stores.js';
import { TransactionDialogSender } from './dialogs/transaction-sender.js';
import { registerAuthFrom, type RegisterAuthenticator } from './registrar/register-auth.js';
import { Registrar } from './registrar/registrar.js';
import { MediaProber } from './probes/media-prober.js';
import { NatKeepalive } from './probes/nat-keepalive.js';
import { ClusterPeers } from './routing/cluster-peers.js';
import { aliasContact } from './routing/nat.js';
import { RouteTable } from './routing/route-table.js';
import { CoreRouter } from './routing/router.js';

export interface LocalAddress {
  transport: TransportProtocol;
  host: string;
  port: number;
}

/** Headers createResponse writes itself; the rest of a registrar answer is carried over. */
const COPIED = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'content-length']);

const DRAINING: RouteDecision = {
  action: 'reply',
  status: 503,
  reason: 'Service Unavailable',
  headers: [['Retry-After', '30']],
};

export class CoreNode {
  readonly layer: TransactionLayer;
  readonly proxy: StatefulProxy;
  readonly registrar: Registrar;
  private readonly registerAuth: RegisterAuthenticator | null;
  readonly router: CoreRouter;
  readonly mediaGroups: Map<string, MediaGroup>;
  /** which media server each answered call is counted on (least-active) */
  readonly mediaCalls: MediaCalls;
  readonly dialogs: DialogTracker;
  readonly natKeepalive: NatKeepalive;
  /** issue #14: call events, mid-call actions and DTMF feature codes */
  readonly callEvents: CallEvents;
  readonly control: CallControl;
  /** issue #13: least-cost routing and per-user call forwarding */
  readonly lcr: Lcr;
  readonly forwardingStore: ForwardingStore;
  readonly forwarding: CallForwarding;
  private mediaProber: MediaProber;
  private table: RouteTable;
  private readonly ours: Set<string>;
  /** the cluster's cores by name and by resolved address: their Record-Route entries are ours too (failover) */
  readonly peers: ClusterPeers;
  private readonly retries = new Set<NodeJS.Timeout>();
  /**
   * Dialog-mode INVITEs still without a final response upstream, by `callId:fromTag`: when
   * the dialog layer ends such a call (early timeout, max duration before answer), its
   * response context CANCELs the branches and answers 408.
   */
  private readonly unanswered = new Map<string, SipRequest>();
  readonly counters = {
    /** in-dialog requests for dialogs another core owned (failover) */
    takeoverRequests: 0,
    /** dialogs adopted from another core */
    adopted: 0,
    natAliased: 0,
    reloads: 0,
  };
  /** dialog events seen on this node (hold/resume, REFER progress, how calls ended) */
  readonly events = {
    confirmed: 0,
    holds: 0,
    resumes: 0,
    refers: 0,
    referNotifies: 0,
    earlyEndedByProxy: 0,
  };
  private readonly domains: Set<string>;
  private readonly log: Logger;
  /** graceful drain (#9): probes and new INVITEs get 503, in-dialog requests are served */
  draining = false;

  constructor(
    private config: CoreConfig,
    readonly transport: Transport,
    logger: Logger,
    private readonly locals: readonly LocalAddress[],
    readonly stores: CoreStores,
  ) {
    this.log = logger.child({ component: 'core' });
    this.ours = new Set(locals.map((l) => `${l.host.toLowerCase()}:${l.port}`));
    this.peers = new ClusterPeers(config.cluster.peers);
    this.domains = new Set(config.domains.map((d) => d.toLowerCase()));
    for (const l of locals) this.domains.add(l.host.toLowerCase());
    this.layer = new TransactionLayer({
      transport,
      logger,
      config: {
        t1: config.transaction.t1Ms,
        t2: config.transaction.t2Ms,
        t4: config.transaction.t4Ms,
      },
    });
    this.registerAuth = registerAuthFrom(config.registrar.auth);
    this.registrar = new Registrar(stores.locations, {
      ...config.registrar,
      domains: this.domains,
      auth: this.registerAuth,
    });
    const d = config.dialog;
    this.dialogs = new DialogTracker({
      node: config.nodeId,
      store: stores.dialogs,
      sender: new TransactionDialogSender(this.layer),
      cdr: stores.cdr,
      profiles: stores.profiles,
      isOwnRoute: (entry) => {
        try {
          return this.isOurs(parseNameAddr(entry).uri);
        } catch {
          return false;
        }
      },
      keepaliveIntervalMs: d.keepaliveIntervalSeconds * 1000,
      keepaliveFailures: d.keepaliveFailures,
      earlyTimeoutMs: d.earlyTimeoutSeconds * 1000,
      leaseTtlMs: d.leaseSeconds * 1000,
      logger,
    });
    this.mediaGroups = new Map(
      Object.entries(config.mediaGroups).map(([name, g]) => [name, new MediaGroup(name, g)]),
    );
    const self = locals[0];
    const from = `sip:strata@${self === undefined ? 'localhost' : `${bracket(self.host)}:${self.port}`}`;
    this.mediaProber = new MediaProber(this.layer, this.mediaGroups, from, this.log);
    this.natKeepalive = new NatKeepalive(
      this.layer,
      stores.locations,
      {
        intervalMs: config.registrar.natKeepaliveSeconds * 1000,
        failures: config.registrar.natKeepaliveFailures,
        timeoutMs: config.registrar.natKeepaliveTimeoutMs,
        from,
      },
      this.log,
    );
    this.mediaCalls = new MediaCalls(this.mediaGroups);
    this.callEvents = createCallEvents(config, stores, logger);
    this.control = new CallControl({
      tracker: this.dialogs,
      store: stores.dialogs,
      events: this.callEvents,
      actions: config.actions,
      features: config.features,
      logger,
      mediaServerOf: (callId) => this.mediaCalls.serverOf(callId),
      parkServer: (callId) =>
        this.mediaGroups.get(config.actions.park.mediaGroup)?.order(callId)[0]?.uri ?? null,
      redis: sharedRedis(stores),
      keyPrefix: config.store.redis.keyPrefix,
      concurrencyKey: (route) =>
        this.config.routes.find((r) => r.name === route)?.concurrency?.key ?? `route:${route}`,
      routePolicies: (route) => this.config.routes.find((r) => r.name === route)?.policies ?? [],
    });
    this.table = new RouteTable(config.routes);
    const redis = stores.redis;
    this.lcr = new Lcr(
      config.lcr,
      this.layer,
      from,
      logger,
      redis === null ? null : (key) => redis.hgetall(key),
    );
    stores.cdrFields.add((callId) => this.lcr.router.cdrFields(callId));
    this.forwardingStore =
      redis === null
        ? new MemoryForwardingStore()
        : new RedisForwardingStore(redis, config.store.redis.keyPrefix);
    this.forwarding = new CallForwarding(config.forwarding, {
      store: this.forwardingStore,
      contacts: (aor) => this.router.contactsOf(aor),
      lcr: this.lcr.router,
      logger: this.log,
    });
    stores.cdrFields.add((callId) => this.forwarding.cdrFields(callId));
    this.router = new CoreRouter(
      () => this.table,
      this.registrar,
      this.mediaGroups,
      () => this.config.huntGroups,
      config,
      this.log,
      this.mediaCalls,
      {
        lcr: this.lcr.router,
        forwarding: this.forwarding,
        mediaHeaders: (req) => this.control.mediaHeaders(req),
      },
    );
    this.proxy = new StatefulProxy(this.layer, {
      router: (req, source) => this.route(req, source),
      recordRoute: (req, target) => this.recordRoute(req, target),
      onFailure: (ctx) => this.router.onFailure(ctx),
      // forwarding on 600 Busy Everywhere (forwarding.busyStatuses); the router lets
      // nothing else add branches after a 6xx
      failureHookAfter6xx: true,
      onUpstreamResponse: (res, req) => this.observeResponse(res, req),
      isLocalRoute: (route: NameAddr) => this.isOurs(route.uri),
      timerC: config.transaction.timerCSeconds * 1000,
      branchPrefix: 'sC',
      logger,
    });
  }

  start(): void {
    this.dialogs.onEvent((e) => {
      if (e.type === 'confirmed') {
        this.mediaCalls.confirmed(e.state.callId, e.state.id);
        this.lcr.router.callAnswered(e.state.callId);
      } else if (e.type === 'terminated') {
        this.mediaCalls.terminated(e.state.callId, e.state.id);
        this.lcr.router.callEnded(e.state.callId);
        this.forwarding.callEnded(e.state.callId);
      }
    });
    this.dialogs.onEvent((e) => {
      if (e.type === 'confirmed') this.events.confirmed++;
      else if (e.type === 'hold') {
        if (e.onHold) this.events.holds++;
        else this.events.resumes++;
      } else if (e.type === 'refer') {
        if (e.status === null) this.events.refers++;
        else this.events.referNotifies++;
      } else if (
        e.type === 'terminated' &&
        e.wasEarly &&
        e.party !== 'caller' &&
        e.party !== 'callee'
      ) {
        this.events.earlyEndedByProxy++;
        this.endUnanswered(e.state.callId, e.state.fromTag);
      }
    });
    this.control.start();
    this.proxy.attach();
    void this.peers.start();
    this.mediaProber.start();
    this.natKeepalive.start();
    void this.startFeatures();
  }

  /** Rate tables load in the background; forwarding settings from the file seed the store. */
  private async startFeatures(): Promise<void> {
    void seedForwarding(this.forwardingStore, this.config.forwarding.users, this.log);
    await this.lcr.start();
  }

  /** `releaseLeases`: hand this node's dialogs to the cluster at once (drain deadline). */
  async stop(options: { releaseLeases?: boolean } = {}): Promise<void> {
    this.mediaProber.stop();
    this.natKeepalive.stop();
    this.control.stop();
    this.lcr.stop();
    this.peers.stop();
    this.registerAuth?.close();
    for (const t of this.retries) clearTimeout(t);
    this.retries.clear();
    this.unanswered.clear();
    this.layer.close();
    await this.dialogs.close(options);
    // the last calls' events (drain) get 2 s to go out; a dead receiver holds no longer
    await this.callEvents.close(2000);
    await this.stores.close();
  }

  /**
   * Reload without restart (SIGHUP): the route table, hunt groups and media groups are
   * replaced; calls in progress keep the targets they were given. Listeners, store,
   * registrar and timer settings need a restart.
   */
  reloadRoutes(config: CoreConfig): void {
    this.table = new RouteTable(config.routes);
    this.config = config;
    this.mediaProber.stop();
    const old = new Map(this.mediaGroups);
    this.mediaGroups.clear();
    for (const [name, g] of Object.entries(config.mediaGroups)) {
      const group = new MediaGroup(name, g);
      // keep what the probes learned about servers that are still configured
      for (const t of group.targets) {
        const before = old.get(name)?.targets.find((x) => x.uri === t.uri);
        if (before !== undefined) {
          t.up = before.up;
          t.active = before.active;
        }
      }
      this.mediaGroups.set(name, group);
    }
    const self = this.locals[0];
    const from = `sip:strata@${self === undefined ? 'localhost' : `${bracket(self.host)}:${self.port}`}`;
    this.mediaProber = new MediaProber(this.layer, this.mediaGroups, from, this.log);
    this.mediaProber.start();
    this.forwarding.configure(config.forwarding);
    this.lcr
      .reload(config.lcr)
      .catch((err: unknown) => this.log.error({ err }, 'LCR reload failed'));
    this.counters.reloads++;
  }

  /** Numbers for the status endpoint's /stats. */
  async stats(): Promise<Record<string, unknown>> {
    let registrations = 0;
    let aors = 0;
    try {
      const list = await this.stores.locations.listAors();
      aors = list.length;
      for (const aor of list) registrations += (await this.stores.locations.get(aor)).length;
    } catch {
      registrations = -1;
    }
    const media: Record<string, unknown> = {};
    for (const [name, g] of this.mediaGroups)
      media[name] = {
        algorithm: g.config.algorithm,
        targets: g.targets.map((t) => ({ uri: t.uri, up: t.up, active: t.active })),
      };
    return {
      nodeId: this.config.nodeId,
      store: { kind: this.stores.kind, status: this.stores.status() },
      transactions: this.layer.size,
      dialogs: this.dialogs.metrics(),
      registrations: { aors, contacts: registrations, natKeepalive: this.natKeepalive.counters },
      mediaGroups: media,
      mediaProbes: this.mediaProber.snapshot(),
      core: { ...this.counters, unansweredInvites: this.unanswered.size },
      lcr: this.lcr.stats(),
      forwarding: this.forwarding.counters,
      events: this.events,
      callControl: { ...this.control.stats(), events: this.callEvents.stats() },
    };
  }

  private async route(req: SipRequest, source: MessageSource): Promise<RouteDecision> {
    if (req.method === 'REGISTER' && req.toTag === null && this.isForUs(req)) {
      const outcome = await this.registrar.register(req, source);
      return replyFrom(outcome.response);
    }
    // the edge's word on who authenticated is for this tier only, never relayed onwards
    if (req.headers.has(ASSERTION_HEADER)) req.headers.remove(ASSERTION_HEADER);
    if (req.method === 'OPTIONS' && this.isAddressedToUs(req)) {
      // draining: the edges' probes count 503 as a miss, so no new Call-IDs come here
      if (this.draining) return DRAINING;
      // probes from the edges and the media servers' own checks
      return {
        action: 'reply',
        status: 200,
        reason: 'OK',
        headers: [
          [
            'Allow',
            'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, REFER, NOTIFY, SUBSCRIBE, INFO, UPDATE, MESSAGE, PRACK',
          ],
        ],
      };
    }
    if (this.draining && req.method === 'INVITE' && req.toTag === null) return DRAINING;
    // Dialog-stateful routes (ARCHITECTURE.md §4): the tracker sees the request first.
    let verdict: RequestVerdict | null = null;
    if (req.toTag !== null) {
      if (req.method !== 'ACK') {
        await this.takeOver(req);
        verdict = await this.dialogs.onRequest(req, { source: sourceOf(source) });
        if (verdict.action === 'relay') this.control.onRelay(req, verdict.dialogId, verdict.from);
      }
      if (verdict?.action === 'reject') return { action: 'reply', status: verdict.status };
      return this.router.route(req, source);
    }
    const match = this.router.match(req, source);
    if (
      this.config.nat.aliasContact &&
      match !== null &&
      match.mode !== 'stateless' &&
      isDialogForming(req.method) &&
      aliasContact(req, source)
    )
      this.counters.natAliased++;
    // issue #14: only the core asks a media server to record (X-Strata-Record)
    if (req.method === 'INVITE')
      this.control.markInvite(req, match?.route ?? null, match?.mode === 'dialog');
    if (match !== null && match.mode === 'dialog' && req.method === 'INVITE') {
      const r = match.route;
      // runtime policy (issue #14, admin API) over the configured limits
      const maxSeconds = this.control.policy.maxDurationSeconds(
        r.maxDurationSeconds,
        this.config.dialog.maxDurationSeconds,
      );
      const limit = this.control.policy.concurrencyLimit(r.name, r.concurrency?.limit ?? 0);
      verdict = await this.dialogs.onRequest(req, {
        source: sourceOf(source),
        call: {
          maxDurationMs: maxSeconds > 0 ? maxSeconds * 1000 : null,
          ...(r.earlyTimeoutSeconds !== undefined
            ? { earlyTimeoutMs: r.earlyTimeoutSeconds * 1000 }
            : {}),
          ...(limit > 0
            ? {
                profiles: [{ key: expandKey(r.concurrency?.key ?? `route:${r.name}`, req), limit }],
              }
            : {}),
        },
      });
      if (verdict.action === 'reject') return { action: 'reply', status: verdict.status };
      this.control.policies.routed(req.callId, r.name, r.policies);
      const key = unansweredKey(req);
      if (key !== null) this.unanswered.set(key, req);
      this.control.sdp.request(req);
    }
    if (req.method === 'INVITE') {
      // issue #14: a call to a park slot goes to the media server holding the parked call
      const parked = await this.control.retrieveParked(req);
      if (parked !== null) return parked;
    }
    return this.router.route(req, source, match);
  }

  /**
   * Failover (issue #7): an in-dialog request for a dialog another core owns means the
   * ring moved the call here (that core died). Take the lease and the timers; while the
   * dead core's lease has not lapsed yet, try again once it has. The request itself is
   * routed either way — by its Route set, whose entries of any cluster core are ours.
   */
  private async takeOver(req: SipRequest): Promise<void> {
    if (this.stores.kind !== 'redis') return;
    let dialogs;
    try {
      dialogs = await this.stores.dialogs.findByCallId(req.callId);
    } catch {
      return;
    }
    const foreign = dialogs.filter(
      (d) => d.state !== 'terminated' && d.ownerNode !== null && d.ownerNode !== this.config.nodeId,
    );
    if (foreign.length === 0) return;
    this.counters.takeoverRequests++;
    for (const d of foreign) {
      if (req.method === 'BYE') continue; // the BYE ends it here; nothing left to adopt
      if (await this.dialogs.adopt(d.id)) {
        this.counters.adopted++;
        this.log.info({ dialogId: d.id, from: d.ownerNode }, 'dialog adopted');
        void this.control.policies.adopted(d.id);
        continue;
      }
      const t = setTimeout(
        () => {
          this.retries.delete(t);
          void this.dialogs.adopt(d.id).then((ok) => {
            if (!ok) return;
            this.counters.adopted++;
            void this.control.policies.adopted(d.id);
          });
        },
        this.config.dialog.leaseSeconds * 1000 + 100,
      );
      t.unref();
      this.retries.add(t);
    }
  }

  /**
   * The dialog layer ended a call that is still ringing (early timeout, max duration before
   * answer): a proxy cannot BYE an early dialog, so the INVITE's response context CANCELs
   * its pending branches and answers the caller 408 (RFC 3261 §16.10-like, as Timer C does).
   */
  private endUnanswered(callId: string, fromTag: string): void {
    const key = `${callId}:${fromTag}`;
    const req = this.unanswered.get(key);
    if (req === undefined) return;
    this.unanswered.delete(key);
    const context = this.layer.findInviteServerTransaction(req)?.user;
    if (!(context instanceof ResponseContext) || context.done) return;
    this.log.info({ callId }, 'early dialog ended by the dialog layer: CANCEL branches, 408');
    context.reply(408, 'Request Timeout');
  }

  /** Every response sent upstream: the dialog layer tracks early/confirmed/terminated from them. */
  private observeResponse(res: SipResponse, req?: SipRequest): void {
    if (res.status >= 200 && req?.method === 'INVITE' && this.unanswered.size > 0) {
      const key = unansweredKey(req);
      if (key !== null && this.unanswered.get(key) === req) this.unanswered.delete(key);
    }
    this.control.onResponse(res);
    this.dialogs
      .onResponse(res)
      .catch((err: unknown) =>
        this.log.warn({ err, callId: res.callId }, 'dialog tracking failed'),
      );
  }

  /** §16.6 item 4: Record-Route on dialog-forming requests so in-dialog requests come back here. */
  private recordRoute(req: SipRequest, target: ProxyTarget): string | null {
    if (req.toTag !== null) return null;
    if (
      req.method !== 'INVITE' &&
      req.method !== 'SUBSCRIBE' &&
      req.method !== 'REFER' &&
      req.method !== 'NOTIFY'
    )
      return null;
    const via = this.transport.viaFor(target.destination);
    const host = via.host.includes(':') && !via.host.startsWith('[') ? `[${via.host}]` : via.host;
    return `<sip:${host}:${via.port};transport=${via.transport.toLowerCase()};lr>`;
  }

  private isOurs(uri: Uri): boolean {
    if (!isSipUri(uri)) return false;
    const host = (uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host).toLowerCase();
    const key = `${host}:${uri.port ?? (uri.scheme === 'sips' ? 5061 : 5060)}`;
    return this.ours.has(key) || this.peers.has(key);
  }

  /** A REGISTER for one of our domains (RFC 3261 §10.3 step 1). */
  private isForUs(req: SipRequest): boolean {
    try {
      const uri = req.requestUri;
      if (!isSipUri(uri)) return false;
      const host = (uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host).toLowerCase();
      return this.domains.has(host);
    } catch {
      return false;
    }
  }

  /** Request-URI without a user part naming this node. */
  private isAddressedToUs(req: SipRequest): boolean {
    try {
      const uri = req.requestUri;
      return (
        isSipUri(uri) &&
        uri.user === null &&
        (this.isOurs(uri) || this.domains.has(uri.host.toLowerCase()))
      );
    } catch {
      return false;
    }
  }
}

function unansweredKey(req: SipRequest): string | null {
  try {
    const tag = req.fromTag;
    return tag === null ? null : `${req.callId}:${tag}`;
  } catch {
    return null;
  }
}

function isDialogForming(method: string): boolean {
  return method === 'INVITE' || method === 'SUBSCRIBE' || method === 'REFER' || method === 'NOTIFY';
}

function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function sourceOf(s: MessageSource): {
  host: string;
  port: number;
  transport: MessageSource['transport'];
} {
  return { host: s.address, port: s.port, transport: s.transport };
}

/** "account:${from.user}" → "account:alice" (profile keys per route). */
function expandKey(template: string, req: SipRequest): string {
  return template.replace(
    /\$\{(from|to|ruri)\.(user|host)\}/g,
    (_m, which: string, part: string) => {
      try {
        const uri = which === 'from' ? req.from.uri : which === 'to' ? req.to.uri : req.requestUri;
        if (!isSipUri(uri)) return '';
        return (part === 'user' ? uri.user : uri.host) ?? '';
      } catch {
        return '';
      }
    },
  );
}

function replyFrom(res: SipResponse): RouteDecision {
  const headers = res.headers.entries().filter(([name]) => !COPIED.has(name.toLowerCase()));
  return { action: 'reply', status: res.status, reason: res.reason, headers };
}
