/**
 * The stateful proxy core (RFC 3261 §16): Kamailio's t_relay() for Strata.
 * It takes requests the transaction layer did not match, validates them
 * (§16.3), sends 100 Trying for INVITE (§16.2), asks the router for targets,
 * and runs a ResponseContext per request. ACK for 2xx and unmatched CANCEL
 * are forwarded statelessly (§16.6 note, §16.10).
 */
import { randomBytes } from 'node:crypto';
import {
  createResponse,
  popRoute,
  pushVia,
  type NameAddr,
  validateRequest,
  type SipRequest,
  type SipResponse,
} from '@strata/parser';
import type { MessageSource } from '@strata/transport';
import type { Logger } from 'pino';
import { TransactionError } from '../errors.js';
import type { TransactionLayer } from '../layer.js';
import { sentByOf } from '../keys.js';
import type { ServerTransaction } from '../transaction.js';
import { NOOP_SERVER_USER } from '../user.js';
import { loopHash, loopHashOfBranch, statelessBranch } from './branch-id.js';
import { applyTarget } from './forward.js';
import { ResponseContext } from './response-context.js';
import { statelessVia } from './stateless.js';
import type {
  FailureHook,
  RecordRouteHook,
  RouteDecision,
  Router,
  StatefulProxyOptions,
  UpstreamObserver,
} from './types.js';

const ALLOW =
  'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, PRACK, UPDATE, INFO, SUBSCRIBE, NOTIFY, REFER, MESSAGE';

export class StatefulProxy {
  readonly layer: TransactionLayer;
  readonly log: Logger;
  readonly router: Router;
  /** null when not configured: the hot path never calls an empty hook */
  readonly recordRoute: RecordRouteHook | null;
  readonly failureHook: FailureHook | null;
  readonly failureHookAfter6xx: boolean;
  readonly isLocalRoute: ((route: NameAddr) => boolean) | null;
  /** sees every response a response context sends upstream (null: not called) */
  readonly upstreamObserver: UpstreamObserver | null;
  readonly supported: readonly string[];
  readonly branchPrefix: string;
  readonly timerC: number;
  private readonly loopDetection: boolean;
  private readonly statelessSecret: string;
  private readonly instance: string;
  private counter = 0;

  constructor(layer: TransactionLayer, options: StatefulProxyOptions) {
    this.layer = layer;
    this.log = (options.logger ?? layer.log).child({ component: 'proxy' });
    this.router = options.router;
    this.recordRoute = options.recordRoute ?? null;
    this.failureHook = options.onFailure ?? null;
    this.failureHookAfter6xx = options.failureHookAfter6xx ?? false;
    this.isLocalRoute = options.isLocalRoute ?? null;
    this.upstreamObserver = options.onUpstreamResponse ?? null;
    this.supported = options.supported ?? [];
    this.branchPrefix = options.branchPrefix ?? 'sP';
    this.timerC = options.timerC ?? layer.config.timerC;
    this.loopDetection = options.loopDetection ?? true;
    this.statelessSecret = options.statelessSecret ?? randomBytes(12).toString('hex');
    this.instance = randomBytes(4).toString('hex');
  }

  /** Wire the proxy as the layer's request handler (the simple deployment). */
  attach(): this {
    this.layer.onRequest((request, source) => this.handleRequest(request, source));
    this.layer.onStrayResponse((response) => this.handleStrayResponse(response));
    return this;
  }

  /** The unique part of a branch id (§8.1.1.7: unique across space and time). */
  uniqueId(index: number): string {
    return `${this.instance}${(this.counter++).toString(36)}-${index}`;
  }

  /**
   * RFC 6026 §7.3 (stray responses): with the Accepted state, 2xx
   * retransmissions match their client transaction; what matches nothing is
   * dropped rather than forwarded.
   */
  handleStrayResponse(response: SipResponse): void {
    this.log.debug({ status: response.status, callId: response.callId }, 'stray response dropped');
  }

  /** A request that matched no transaction. */
  handleRequest(request: SipRequest, source: MessageSource): void {
    switch (request.method) {
      case 'ACK':
        return this.handleAck(request, source);
      case 'CANCEL':
        return this.handleCancel(request, source);
      default:
        return this.handleNew(request, source);
    }
  }

  private handleNew(request: SipRequest, source: MessageSource): void {
    // §16.3 items 1–3, 5 (syntax, URI scheme → 416, Max-Forwards → 483, Proxy-Require → 420)
    const failure = validateRequest(request, {
      role: 'proxy',
      supported: this.supported,
      answerOptions: true,
    });
    let tx: ServerTransaction;
    try {
      tx = this.layer.createServerTransaction(request, source, NOOP_SERVER_USER);
    } catch (err) {
      if (!(err instanceof TransactionError)) throw err;
      // no transaction key (e.g. no CSeq): answer statelessly if a Via says where to
      if (failure !== null && request.topViaRaw !== undefined) {
        const response = createResponse(request, failure.status, failure.reason, {
          headers: failure.headers,
        });
        void this.layer.sendStateless(response, {
          transport: source.transport,
          address: source.address,
          port: source.port,
          connectionId: source.connectionId,
        });
      } else this.log.debug({ err }, 'request dropped');
      return;
    }
    if (failure !== null) {
      tx.respond(
        createResponse(request, failure.status, failure.reason, { headers: failure.headers }),
      );
      return;
    }
    // §16.3 item 3: "If the request is an OPTIONS request with Max-Forwards 0,
    // the element MAY act as the final recipient of the request and respond
    // to it as described in Section 11."
    if (request.maxForwards === 0 && request.method === 'OPTIONS') {
      tx.respond(createResponse(request, 200, undefined, { headers: [['Allow', ALLOW]] }));
      return;
    }
    // §16.2: "a stateful proxy [...] MUST [...] generate a 100 (Trying)
    // response" for INVITE; at once, well within the 200 ms of §17.2.1
    if (request.method === 'INVITE') tx.respond(createResponse(request, 100));

    // §16.4: "If the first value in the Route header field indicates this
    // proxy, the proxy MUST remove that value from the request."
    if (this.isLocalRoute !== null && request.hasRoute) {
      const top = request.routes[0];
      if (top !== undefined && this.isLocalRoute(top)) popRoute(request);
    }

    const hash = loopHash(request);
    const context = new ResponseContext(this, request, source, tx, hash);
    tx.user = context;
    // §16.3 item 4: "If the request contains a Via header field with a
    // sent-by value that equals a value placed into previous requests by the
    // proxy, the request has been forwarded by this element before. [...] the
    // element MAY perform the branch parameter calculation described in Step
    // 8 of Section 16.6 on this message and compare it to the parameter
    // received in that Via header field. If the parameters match, the
    // request has looped." → 482
    if (this.loopDetection && this.hasLooped(request, hash)) {
      context.reply(482);
      return;
    }
    this.route(request, source, context);
  }

  private hasLooped(request: SipRequest, hash: string): boolean {
    const vias = request.vias;
    for (let i = 0; i < vias.length; i++) {
      const via = vias[i]!;
      const branch = via.params.get('branch');
      if (branch === undefined || branch === null) continue;
      const h = loopHashOfBranch(this.branchPrefix, branch);
      if (h !== null && h === hash && this.layer.isOwnSentBy(sentByOf(via))) return true;
    }
    return false;
  }

  private route(request: SipRequest, source: MessageSource, context: ResponseContext): void {
    let decision: RouteDecision | Promise<RouteDecision>;
    try {
      decision = this.router(request, source);
    } catch (err) {
      this.log.error({ err }, 'router threw');
      context.reply(500);
      return;
    }
    if (decision instanceof Promise) {
      context.hold();
      decision.then(
        (d) => {
          context.release();
          this.apply(d, context);
        },
        (err: unknown) => {
          context.release();
          this.log.error({ err }, 'router rejected');
          context.reply(500);
        },
      );
      return;
    }
    this.apply(decision, context);
  }

  private apply(decision: RouteDecision, context: ResponseContext): void {
    switch (decision.action) {
      case 'relay':
        return context.relay(decision.targets);
      case 'reply':
        return context.reply(decision.status, decision.reason, decision.headers);
      case 'drop':
        return;
    }
  }

  /**
   * An ACK that matched no server transaction: the ACK for a 2xx (a new
   * transaction end to end, §13.2.2.4) or a stray one. §16.6 applies with a
   * stateless branch; no response is ever sent to an ACK.
   */
  private handleAck(request: SipRequest, source: MessageSource): void {
    if (request.maxForwards === 0) return;
    if (this.isLocalRoute !== null && request.hasRoute) {
      const top = request.routes[0];
      if (top !== undefined && this.isLocalRoute(top)) popRoute(request);
    }
    this.relayStateless(request, source);
  }

  /**
   * §16.10: "If a matching response context is found, the element MUST
   * immediately return a 200 (OK) response to the CANCEL request." and "If a
   * response context is not found, the element does not have any knowledge
   * of the request to apply the CANCEL to. It MUST statelessly forward the
   * CANCEL request".
   */
  private handleCancel(request: SipRequest, source: MessageSource): void {
    const invite = this.layer.findInviteServerTransaction(request);
    const context = invite === null ? null : invite.user;
    if (context instanceof ResponseContext) {
      let tx: ServerTransaction;
      try {
        tx = this.layer.createServerTransaction(request, source, NOOP_SERVER_USER);
      } catch (err) {
        this.log.debug({ err }, 'CANCEL dropped');
        return;
      }
      tx.respond(createResponse(request, 200));
      context.cancel(request.headers.get('reason') ?? null);
      return;
    }
    this.relayStateless(request, source);
  }

  private relayStateless(request: SipRequest, source: MessageSource): void {
    const branch = statelessBranch(request, {
      secret: this.statelessSecret,
      prefix: this.branchPrefix,
    });
    if (branch === null) return;
    const forward = (decision: RouteDecision): void => {
      if (decision.action !== 'relay') return;
      const target = decision.targets[0];
      if (target === undefined) return;
      applyTarget(request, target, null);
      pushVia(request, statelessVia(this.layer.transport, target.destination, branch));
      void this.layer.sendStateless(request, target.destination);
    };
    let decision: RouteDecision | Promise<RouteDecision>;
    try {
      decision = this.router(request, source);
    } catch (err) {
      this.log.error({ err }, 'router threw');
      return;
    }
    if (decision instanceof Promise) {
      decision.then(forward, (err: unknown) => this.log.error({ err }, 'router rejected'));
    } else forward(decision);
  }
}
