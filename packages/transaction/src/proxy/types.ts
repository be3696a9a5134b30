/** What the routing logic above (apps/core) gives the proxy core and gets from it. */
import type { NameAddr, SipRequest, SipResponse } from '@strata/parser';
import type { Destination, MessageSource } from '@strata/transport';
import type { Logger } from 'pino';

/** One target of the target set (§16.5) with its next hop already resolved (§16.6 item 7). */
export interface ProxyTarget {
  /** the branch's Request-URI (§16.6 item 2) */
  uri: string;
  /** where the branch is sent */
  destination: Destination;
  /** q-value (0..1, default 1): higher first; equal q are tried in parallel */
  q?: number;
  /** Timer C for this branch in ms (serial forking "ring time"); default the proxy's */
  timeout?: number;
  /** headers added to this branch only (§16.6 item 5) */
  headers?: readonly (readonly [string, string])[];
  /** Route values pushed on this branch, first = topmost (§16.6 item 6, pre-loaded route) */
  routes?: readonly string[];
}

export type RouteDecision =
  /** forward to these targets (statefully, unless the request is an ACK) */
  | { action: 'relay'; targets: readonly ProxyTarget[] }
  /** answer the request here */
  | {
      action: 'reply';
      status: number;
      reason?: string;
      headers?: readonly (readonly [string, string])[];
    }
  /** say nothing (ACK, floods) */
  | { action: 'drop' };

/** The routing logic: decides targets per request; may be async (registrar lookups). */
export type Router = (
  request: SipRequest,
  source: MessageSource,
) => RouteDecision | Promise<RouteDecision>;

/** Given to the failure hook when every branch of the context has failed. */
export interface FailureContext {
  /** the request as received (after §16.4 Route processing) */
  readonly request: SipRequest;
  readonly source: MessageSource;
  /** the final responses of all branches so far, in branch order */
  readonly responses: readonly SipResponse[];
  /** the status the proxy would send now if nothing is added */
  readonly bestStatus: number;
  /** how many times the hook ran for this context before (0 the first time) */
  readonly round: number;
  /**
   * A 6xx ended the branches (§16.7 item 5). Only hooks of a proxy built with
   * `failureHookAfter6xx` see this true; targets they add retarget the call.
   */
  readonly after6xx: boolean;
  /** add targets; they start when the hook returns (or its promise settles) */
  addTargets(targets: readonly ProxyTarget[]): void;
}

/** Like Kamailio's failure_route: may add branches when all current ones failed. */
export type FailureHook = (context: FailureContext) => void | Promise<void>;

/** §16.6 item 4: the Record-Route value to insert on a branch, or null for none. */
export type RecordRouteHook = (request: SipRequest, target: ProxyTarget) => string | null;

/**
 * Sees each response the proxy sends upstream for a request it relayed or
 * answered in a response context (provisionals, 2xx, the best final, generated
 * 408/500/487): what a dialog-stateful layer above tracks dialogs with.
 */
export type UpstreamObserver = (response: SipResponse, request: SipRequest) => void;

export interface StatefulProxyOptions {
  router: Router;
  onUpstreamResponse?: UpstreamObserver;
  recordRoute?: RecordRouteHook;
  onFailure?: FailureHook;
  /**
   * Run the failure hook after a 6xx too (default false). §16.7 item 5 says
   * the proxy "MUST NOT create any new branches in this context" after a 6xx;
   * this is for a service acting on the callee's own instructions (forward my
   * calls when I am busy) that treats a 600 Busy Everywhere as busy. Targets a
   * hook adds then retarget the call: the earlier responses, the 6xx among
   * them, are no longer candidates for the best response.
   */
  failureHookAfter6xx?: boolean;
  /** §16.4: the top Route names this proxy → it is removed before routing */
  isLocalRoute?: (route: NameAddr) => boolean;
  /** option tags accepted in Proxy-Require (§16.3 item 5) */
  supported?: readonly string[];
  /** written after the magic cookie in every branch (identifies this node) */
  branchPrefix?: string;
  /** secret for the stateless branches of ACK-for-2xx and unmatched CANCEL forwards */
  statelessSecret?: string;
  /** §16.3 item 4 loop detection (default on) */
  loopDetection?: boolean;
  /** Timer C in ms (default: the layer's, 180 s) */
  timerC?: number;
  logger?: Logger;
}
