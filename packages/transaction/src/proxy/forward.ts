/** §16.6 steps 1–6: turning the received request into the request of one branch. */
import {
  decrementMaxForwards,
  parseMessage,
  pushRecordRoute,
  pushRoute,
  serializeMessage,
  type SipRequest,
} from '@strata/parser';
import type { ProxyTarget, RecordRouteHook } from './types.js';

/**
 * §16.6 item 1: "The proxy starts with a copy of the received request." A
 * copy through the wire form: cheap with the parser's lazy headers, and no
 * branch shares header state with another.
 */
export function copyRequest(request: SipRequest): SipRequest {
  return parseMessage(serializeMessage(request)) as SipRequest;
}

/**
 * Items 2–6 on `request` (already a copy, or the received request itself
 * when forwarding statelessly):
 * 2. "The Request-URI in the copy's start line MUST be replaced with the URI
 *    for this target."
 * 3. "If the copy contains a Max-Forwards header field, the proxy MUST
 *    decrement its value by one (1). If the copy does not contain a
 *    Max-Forwards header field, the proxy MUST add one with a field value,
 *    which SHOULD be 70."
 * 4. "If this proxy wishes to remain on the path of future requests in a
 *    dialog created by this request [...], it MUST insert a Record-Route
 *    header field value in the copy before any existing Record-Route header
 *    field values"
 * 5. "The proxy MAY add any other appropriate header fields to the copy at
 *    this point."
 * 6. pre-loaded Route values pushed on top ("the proxy MAY have a local
 *    policy that mandates that a request visit a specific set of proxies").
 */
export function applyTarget(
  request: SipRequest,
  target: ProxyTarget,
  recordRoute: RecordRouteHook | null,
): void {
  if (request.uri !== target.uri) request.uri = target.uri;
  decrementMaxForwards(request);
  if (recordRoute !== null && request.method !== 'ACK' && request.method !== 'CANCEL') {
    const rr = recordRoute(request, target);
    if (rr !== null) pushRecordRoute(request, rr);
  }
  const headers = target.headers;
  if (headers !== undefined)
    for (const [name, value] of headers) request.headers.append(name, value);
  const routes = target.routes;
  if (routes !== undefined)
    for (let i = routes.length - 1; i >= 0; i--) pushRoute(request, routes[i]!);
}

/** Targets grouped for sequential search: descending q, equal q in one parallel group (§16.6). */
export function groupByQ(targets: readonly ProxyTarget[]): ProxyTarget[][] {
  const sorted = targets
    .map((t, i) => ({ t, i, q: t.q ?? 1 }))
    .sort((a, b) => b.q - a.q || a.i - b.i);
  const groups: ProxyTarget[][] = [];
  let lastQ = NaN;
  for (const { t, q } of sorted) {
    if (q !== lastQ) {
      groups.push([]);
      lastQ = q;
    }
    groups[groups.length - 1]!.push(t);
  }
  return groups;
}
