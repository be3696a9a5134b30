/**
 * Stateless forwarding (RFC 3261 §16.11): every request is checked, stamped
 * with our Via (branch computed from the request, §16.11) and Record-Route,
 * and sent on; every response has our Via popped and follows the next one.
 * Nothing about a call is remembered between messages.
 *
 * Direction: a request goes to the core tier (one core per Call-ID, from the
 * ring) unless it carries a Route to us that is followed by no other hop, in
 * which case it is on its way from the core tier to a client: it goes to the
 * client's flow (the token in our popped Route) or to the Request-URI.
 */
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import type { Logger } from 'pino';
import {
  createResponse,
  decrementMaxForwards,
  isSipUri,
  parseAuth,
  parseNameAddr,
  popRoute,
  popVia,
  pushRecordRoute,
  pushVia,
  validateRequest,
  type NameAddr,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  type SipUri,
} from '@strata/parser';
import {
  portText,
  type Destination,
  type Endpoint,
  type MessageSource,
  type Transport,
  type TransportError,
  type TransportProtocol,
} from '@strata/transport';
import { EDGE_BRANCH_PREFIX, statelessBranch } from './branch.js';
import type { AllowList } from './cidr.js';
import type { CoreProber } from './core-prober.js';
import {
  ASSERTION_HEADER,
  isAuthFailure,
  type EdgeAssertion,
  type StatelessDigest,
} from '@strata/auth';
import type { Flow, FlowTokens } from './flow-token.js';
import type { TokenBucketLimiter } from './rate-limiter.js';
import type { CoreNode, CoreRing } from './ring.js';
import type { EdgeStats } from './stats.js';
import type { EdgeSecurity } from './security/edge-security.js';

/** What the edge needs from its transport beyond the layer contract. */
export interface EdgeTransport extends Transport {
  /** RFC 3261 §18.2.2 response routing: the request's connection, then received/rport, then sent-by */
  sendResponse(response: SipResponse, source?: MessageSource): Promise<void>;
  /** send() without a promise per message (SipTransport has it): forwards use it when present */
  sendOrElse?(
    message: SipMessage,
    destination: Destination,
    failed: (err: TransportError) => void,
  ): void;
}

export interface LocalAddress {
  transport: TransportProtocol;
  host: string;
  port: number;
}

export interface ForwarderDeps {
  transport: EdgeTransport;
  ring: CoreRing;
  prober: CoreProber | null;
  stats: EdgeStats;
  logger: Logger;
  flows: FlowTokens;
  limiter: TokenBucketLimiter | null;
  /** what the rate limiter does with a source over its rate */
  limitAction: 'drop' | 'reject';
  trusted: AllowList;
  /** lowercased User-Agent fragments of known scanners */
  scannerAgents: readonly string[];
  /** domains we serve (lowercase) — initial requests for others are a relay attempt */
  domains: ReadonlySet<string> | null;
  digest: StatelessDigest | null;
  authMethods: ReadonlySet<string>;
  /** signs "this edge authenticated <user>" onto verified requests for the cores (null: off) */
  assertion?: EdgeAssertion | null;
  /** our listening addresses as written in Via/Record-Route/Path */
  locals: readonly LocalAddress[];
  /** salt for the stateless branch hash (the node id: edges need not agree) */
  branchSalt: string;
  maxForwards: number;
  /** #12 bans: fed with failed digest attempts and scanners (null: no bans) */
  security?: EdgeSecurity | null;
  /** Server header on our own replies; '' = none */
  serverHeader?: string;
}

export class EdgeForwarder {
  /**
   * Cores answering probes with 503 (#9 drain): out of the ring for new Call-IDs, but
   * in-dialog requests of the calls they hold still go to them. Replaced on change.
   */
  drainingCores: ReadonlySet<string> = new Set();
  /** this edge is draining: new initial requests from clients get 503 */
  rejectNew = false;
  private readonly d: ForwarderDeps;
  private readonly ourHostPorts: Set<string>;
  /** "host:port" of every core, by configured name and by resolved address */
  private coreByAddress: Map<string, CoreNode>;

  constructor(deps: ForwarderDeps) {
    this.d = deps;
    this.ourHostPorts = new Set(deps.locals.map((l) => `${l.host.toLowerCase()}:${l.port}`));
    this.coreByAddress = coreAddressMap(deps.ring.allNodes());
  }

  /** After a core's address changed (core-resolver.ts): recognise it by the new one. */
  refreshCoreAddresses(): void {
    this.coreByAddress = coreAddressMap(this.d.ring.allNodes());
  }

  /** Entry point for every parsed message. Never throws. */
  handle(msg: SipMessage, source: MessageSource): void {
    // #12: a banned source is dropped before anything else looks at its message
    if (this.d.security?.isBanned(source.address) === true) {
      this.d.stats.drop('banned');
      return;
    }
    try {
      if (msg.isRequest) this.onRequest(msg, source);
      else this.onResponse(msg, source);
    } catch (err) {
      // Malformed hot values surface here (e.g. a Via we cannot parse): answer or drop, never crash.
      this.d.stats.drop('error');
      this.d.logger.warn(
        { err, callId: msg.callId, src: `${source.address}:${source.port}` },
        'message dropped',
      );
      if (msg.isRequest && msg.method !== 'ACK') this.reply(msg, source, 400, 'Bad Request');
    }
  }

  // ---- requests ------------------------------------------------------------

  private onRequest(req: SipRequest, source: MessageSource): void {
    const { stats } = this.d;
    stats.requestsIn++;
    const trusted = this.isTrusted(source);

    if (!trusted && this.d.limiter !== null && !this.d.limiter.take(source.address)) {
      stats.drop('rate-limit');
      if (this.d.limitAction === 'reject' && req.method !== 'ACK')
        this.reply(req, source, 503, 'Service Unavailable', [['Retry-After', '5']]);
      return;
    }
    if (!trusted && this.isScanner(req)) {
      // Scanner silence: no answer tells it nothing lives here; and the source is banned.
      stats.drop('scanner');
      this.d.security?.scanner(source.address);
      return;
    }

    // §16.3: reasonable syntax, URI scheme, Max-Forwards, Proxy-Require
    const failure = validateRequest(req, { role: 'proxy', answerOptions: true });
    if (failure !== null) {
      if (req.method !== 'ACK')
        this.reply(req, source, failure.status, failure.reason, failure.headers);
      else stats.drop('invalid-ack');
      return;
    }
    if (req.maxForwards === 0) {
      // §16.3 item 3: OPTIONS with Max-Forwards 0 is answered by the proxy itself
      this.reply(req, source, 200, 'OK', [
        [
          'Allow',
          'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, REFER, NOTIFY, SUBSCRIBE, INFO, UPDATE, MESSAGE, PRACK',
        ],
      ]);
      return;
    }
    const branch = statelessBranch(req, this.d.branchSalt);
    if (this.isLoop(req, branch)) {
      this.reply(req, source, 482, 'Loop Detected');
      return;
    }

    // §16.4: loose routing — pop every Route that names us, remembering the flow it named
    let poppedFlow: Flow | null = null;
    while (req.hasRoute) {
      const top = parseNameAddr(req.headers.values('route')[0] ?? '');
      if (!this.isOurs(top.uri)) break;
      popRoute(req);
      poppedFlow = this.flowOf(top.uri) ?? poppedFlow;
    }

    // Direction: requests from the core tier go out to clients; everything else goes to the core tier.
    if (this.isFromCore(source)) {
      void this.forwardFromCore(req, source, branch, poppedFlow);
      return;
    }

    // Towards the core tier. Only this edge may vouch for a user: a client's own
    // assertion header is dropped whatever else happens (edge-assertion.ts).
    if (req.headers.has(ASSERTION_HEADER)) req.headers.remove(ASSERTION_HEADER);
    const initial = req.toTag === null;
    if (initial && this.rejectNew && req.method !== 'ACK' && req.method !== 'CANCEL') {
      stats.drop('draining');
      this.reply(req, source, 503, 'Service Unavailable', [['Retry-After', '10']]);
      return;
    }
    if (
      initial &&
      !trusted &&
      this.d.domains !== null &&
      !this.isOurDomain(req) &&
      req.method !== 'ACK'
    ) {
      stats.drop('relay');
      this.reply(req, source, 403, 'Forbidden');
      return;
    }
    if (!trusted && this.d.digest !== null && this.d.authMethods.has(req.method) && initial) {
      void this.authenticateThenForward(req, source, branch);
      return;
    }
    this.forwardToCore(req, source, branch);
  }

  private async authenticateThenForward(
    req: SipRequest,
    source: MessageSource,
    branch: string,
  ): Promise<void> {
    const digest = this.d.digest!;
    const isRegister = req.method === 'REGISTER';
    const header = isRegister ? 'authorization' : 'proxy-authorization';
    let verdict;
    try {
      const creds = req.headers
        .getAll(header)
        .map(parseAuth)
        .find((c) => c.params.get('realm') !== undefined);
      verdict = await digest.verify(req.method, creds, source.address, branch);
    } catch {
      verdict = { ok: false as const, stale: false, reason: 'malformed' as const };
    }
    if (verdict.ok) {
      this.d.assertion?.stamp(req, verdict.username);
      this.forwardToCore(req, source, branch);
      return;
    }
    this.d.stats.drop(`auth-${verdict.reason}`);
    if (isAuthFailure(verdict)) {
      this.d.security?.authFailure(source.address, verdict.username);
      // the guess that crossed the threshold gets no answer either
      if (this.d.security?.isBanned(source.address) === true) return;
    }
    if (req.method === 'ACK') return;
    // RFC 3261 §22.3 (proxy: 407 Proxy-Authenticate) and §22.2 (registrar: 401 WWW-Authenticate)
    const status = isRegister ? 401 : 407;
    const name = isRegister ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    this.reply(
      req,
      source,
      status,
      isRegister ? 'Unauthorized' : 'Proxy Authentication Required',
      digest.challenges(source.address, verdict.stale).map((c) => [name, c]),
    );
  }

  private forwardToCore(req: SipRequest, source: MessageSource, branch: string): void {
    const inDialog = req.toTag !== null;
    const core =
      (inDialog && this.drainingCores.size > 0 ? this.drainingOwner(req.callId) : undefined) ??
      this.d.ring.pick(req.callId, inDialog);
    if (core === undefined) {
      this.d.stats.drop('no-core');
      if (req.method !== 'ACK')
        this.reply(req, source, 503, 'Service Unavailable', [['Retry-After', '10']]);
      return;
    }
    const dest: Destination = { transport: core.transport, address: core.address, port: core.port };
    this.stampAndSend(req, source, branch, dest, true, null);
  }

  /**
   * A request from a core: to the next Route when there is one (a core → ring),
   * else to the client's flow named by the Route we popped, else the Request-URI.
   */
  private async forwardFromCore(
    req: SipRequest,
    source: MessageSource,
    branch: string,
    flow: Flow | null,
  ): Promise<void> {
    const next = req.hasRoute ? parseNameAddr(req.headers.values('route')[0] ?? '') : null;
    if (next !== null && this.isCoreUri(next.uri)) {
      this.forwardToCore(req, source, branch);
      return;
    }
    let dest: Destination;
    if (next === null && flow !== null) {
      dest = {
        transport: flow.transport,
        address: flow.address,
        port: flow.port,
        connectionId: flow.connectionId,
      };
    } else {
      const target = next?.uri ?? safeRequestUri(req);
      if (target === null || !isSipUri(target)) {
        if (req.method !== 'ACK') this.reply(req, source, 416, 'Unsupported URI Scheme');
        return;
      }
      const host = target.host.startsWith('[') ? target.host.slice(1, -1) : target.host;
      try {
        const address = isIP(host) !== 0 ? host : (await lookup(host)).address;
        dest = {
          transport: uriTransport(target),
          address,
          port: target.port ?? (target.scheme === 'sips' ? 5061 : 5060),
        };
      } catch {
        this.d.stats.drop('unresolvable');
        if (req.method !== 'ACK') this.reply(req, source, 404, 'Not Found');
        return;
      }
    }
    this.stampAndSend(req, source, branch, dest, false, flow);
  }

  /** Via, Record-Route, Path and Max-Forwards, then send. */
  private stampAndSend(
    req: SipRequest,
    source: MessageSource,
    branch: string,
    dest: Destination,
    towardsCore: boolean,
    clientFlow: Flow | null,
  ): void {
    const via = this.d.transport.viaFor(dest);
    decrementMaxForwards(req, this.d.maxForwards);
    // The client side of this request: where it came from (towards the core), or the
    // flow the core named (towards a client). Our URIs on that side carry it.
    const flow: Flow | null = towardsCore
      ? {
          transport: source.transport,
          address: source.address,
          port: source.port,
          connectionId: source.connectionId,
        }
      : clientFlow;
    const inboundFlow = flow !== null ? `f-${this.d.flows.encode(flow)}` : null;

    if (req.method === 'REGISTER' && towardsCore) {
      // RFC 3327: the registrar stores our Path and routes requests for this contact back through us
      req.headers.prepend('Path', `<${this.ourUri(source, inboundFlow)};lr>`);
    } else if (isDialogForming(req) && req.toTag === null) {
      // §16.6 item 4; RFC 5658 double Record-Route when the two sides use different transports
      const inbound = `<${this.ourUri(source, inboundFlow)};lr${source.transport !== dest.transport ? ';r2=on' : ''}>`;
      pushRecordRoute(req, inbound);
      if (source.transport !== dest.transport) {
        pushRecordRoute(
          req,
          `<${this.uriFor(via.transport.toLowerCase() as TransportProtocol, via.host, via.port, null)};lr;r2=on>`,
        );
      }
    }
    // responses return over the client's connection: name it in our Via (stream transports only)
    const flowParam =
      towardsCore && source.connectionId !== null ? `;flow=${inboundFlow!.slice(2)}` : '';
    pushVia(
      req,
      `SIP/2.0/${via.transport} ${via.host}:${via.port};branch=${branch};rport${flowParam}`,
    );

    this.d.stats.requestsForwarded++;
    const failed = (err: unknown): void => {
      this.d.stats.sendErrors++;
      this.d.logger.debug({ err, callId: req.callId, dest }, 'forward failed');
      // §16.9: a transport error towards the next hop is treated as 503 — stateless, we answer at once
      if (req.method !== 'ACK') {
        popVia(req);
        this.reply(req, source, 503, 'Service Unavailable');
      }
    };
    const t = this.d.transport;
    if (t.sendOrElse !== undefined) t.sendOrElse(req, dest, failed);
    else t.send(req, dest).catch(failed);
  }

  // ---- responses -----------------------------------------------------------

  private onResponse(res: SipResponse, _source: MessageSource): void {
    const { stats } = this.d;
    stats.responsesIn++;
    const top = res.topVia;
    const branch = top?.params.get('branch');
    if (top === undefined || branch == null) {
      stats.drop('no-via');
      return;
    }
    if (this.d.prober !== null && this.d.prober.handleResponse(res)) return;
    // §16.7 item 3 / §16.11: the top Via must be ours, else the response is not for us
    if (
      !branch.startsWith(EDGE_BRANCH_PREFIX) ||
      !this.ourHostPorts.has(`${viaHostOf(top.host)}:${top.port ?? 5060}`)
    ) {
      stats.drop('foreign-via');
      return;
    }
    const flow = top.params.get('flow') ?? null;
    popVia(res);
    if (res.topVia === undefined) {
      stats.drop('no-next-via');
      return;
    }
    const client = flow !== null ? this.d.flows.decode(flow) : null;
    stats.responsesForwarded++;
    const send =
      client !== null
        ? this.d.transport.sendResponse(res, flowSource(client))
        : this.d.transport.sendResponse(res);
    send.catch((err: unknown) => {
      stats.sendErrors++;
      this.d.logger.debug({ err, callId: res.callId }, 'response forward failed');
    });
  }

  // ---- helpers -------------------------------------------------------------

  /** The Call-ID's ring owner when it is draining (it still serves its calls). */
  private drainingOwner(callId: string): CoreNode | undefined {
    const id = this.d.ring.owner(callId);
    return this.drainingCores.has(id) ? this.d.ring.node(id) : undefined;
  }

  private reply(
    req: SipRequest,
    source: MessageSource,
    status: number,
    reason: string,
    headers: [string, string][] = [],
  ): void {
    this.d.stats.repliedLocally++;
    this.d.stats.reject(status);
    const server = this.d.serverHeader ?? '';
    const res = createResponse(req, status, reason, {
      headers: server !== '' ? [...headers, ['Server', server]] : headers,
    });
    this.d.transport.sendResponse(res, source).catch((err: unknown) => {
      this.d.stats.sendErrors++;
      this.d.logger.debug({ err }, 'local reply failed');
    });
  }

  private isTrusted(source: MessageSource): boolean {
    return this.d.trusted.has(source.address);
  }

  /** Cores send from their listening address and port (UDP socket or the connection we opened). */
  private isFromCore(source: MessageSource): boolean {
    return this.coreByAddress.has(`${source.address}:${portText(source.port)}`);
  }

  private flowOf(uri: NameAddr['uri']): Flow | null {
    if (!isSipUri(uri) || uri.user === null || !uri.user.startsWith('f-')) return null;
    return this.d.flows.decode(uri.user.slice(2));
  }

  private isScanner(req: SipRequest): boolean {
    if (this.d.scannerAgents.length === 0) return false;
    const ua = req.headers.get('user-agent');
    if (ua === undefined) return false;
    const lower = ua.toLowerCase();
    return this.d.scannerAgents.some((s) => lower.includes(s));
  }

  private isOurDomain(req: SipRequest): boolean {
    const uri = safeRequestUri(req);
    if (uri === null || !isSipUri(uri)) return true; // tel: and others are the core's to judge
    const host = (uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host).toLowerCase();
    return this.d.domains!.has(host) || this.ourHostPorts.has(`${host}:${uri.port ?? 5060}`);
  }

  private isOurs(uri: NameAddr['uri']): boolean {
    if (!isSipUri(uri)) return false;
    const host = (uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host).toLowerCase();
    return this.ourHostPorts.has(`${host}:${uri.port ?? (uri.scheme === 'sips' ? 5061 : 5060)}`);
  }

  private isCoreUri(uri: NameAddr['uri']): boolean {
    if (!isSipUri(uri)) return false;
    const host = uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host;
    return this.coreByAddress.has(`${host.toLowerCase()}:${uri.port ?? 5060}`);
  }

  /** §16.3 item 4: our own Via with the branch we would compute now means the request looped. */
  private isLoop(req: SipRequest, branch: string): boolean {
    const vias = req.headers.getAll('via');
    if (vias.length < 2 && !vias.some((v) => v.includes(EDGE_BRANCH_PREFIX))) return false;
    return req.vias.some((v) => v.params.get('branch') === branch);
  }

  private ourUri(source: Endpoint, user: string | null): string {
    const local = this.d.locals.find((l) => l.transport === source.transport) ?? this.d.locals[0]!;
    return this.uriFor(source.transport, local.host, local.port, user);
  }

  private uriFor(
    transport: TransportProtocol,
    host: string,
    port: number,
    user: string | null,
  ): string {
    const h = host.includes(':') ? `[${host}]` : host;
    return `sip:${user !== null ? `${user}@` : ''}${h}:${port};transport=${transport}`;
  }
}

function coreAddressMap(nodes: readonly CoreNode[]): Map<string, CoreNode> {
  const map = new Map<string, CoreNode>();
  for (const n of nodes) {
    map.set(`${n.address}:${n.port}`, n);
    if (n.host !== undefined) map.set(`${n.host.toLowerCase()}:${n.port}`, n);
  }
  return map;
}

function isDialogForming(req: SipRequest): boolean {
  return (
    req.method === 'INVITE' ||
    req.method === 'SUBSCRIBE' ||
    req.method === 'REFER' ||
    req.method === 'NOTIFY'
  );
}

function safeRequestUri(req: SipRequest): NameAddr['uri'] | null {
  try {
    return req.requestUri;
  } catch {
    return null;
  }
}

function uriTransport(uri: SipUri): TransportProtocol {
  const t = uri.params.get('transport')?.toLowerCase();
  if (t === 'tcp' || t === 'tls' || t === 'ws' || t === 'wss' || t === 'udp') return t;
  return uri.scheme === 'sips' ? 'tls' : 'udp';
}

function viaHostOf(host: string): string {
  return (host.startsWith('[') ? host.slice(1, -1) : host).toLowerCase();
}

/** The client's flow as a "source", so sendResponse answers over its connection (RFC 3261 §18.2.2). */
function flowSource(flow: Flow): MessageSource {
  return {
    transport: flow.transport,
    address: flow.address,
    port: flow.port,
    localAddress: '',
    localPort: 0,
    connectionId: flow.connectionId,
  };
}
