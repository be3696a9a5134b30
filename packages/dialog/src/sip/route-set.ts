import { parseNameAddr } from '@strata/parser';
import type { DialogSideName } from './side.js';
import type { DialogState } from '../state/dialog-state.js';

/** The route sets both UAs hold, from the Record-Route of the response that built the dialog. */
export interface RouteSets {
  readonly caller: readonly string[];
  readonly callee: readonly string[];
}

/**
 * RFC 3261 §12.1.1 (UAS): "The route set MUST be set to the list of URIs in the
 * Record-Route header field from the request, taken in order and preserving all URI
 * parameters." §12.1.2 (UAC): "The route set MUST be set to the list of URIs in the
 * Record-Route header field from the response, taken in reverse order". The response
 * carries the request's Record-Route unchanged (§12.1.1, copied by the UAS), so one list
 * gives both.
 */
export function routeSetsFromRecordRoute(recordRoute: readonly string[]): RouteSets {
  return { callee: [...recordRoute], caller: [...recordRoute].reverse() };
}

/** Decides whether a route entry names this proxy (its own Record-Route). */
export type OwnRoutePredicate = (routeEntry: string) => boolean;

/**
 * A predicate matching route entries whose host (and port, when given) is one of
 * `addresses` ("core.example.com", "10.0.0.5:5060"); case-insensitive.
 */
export function ownRouteMatcher(addresses: readonly string[]): OwnRoutePredicate {
  const wanted = new Set(addresses.map((a) => a.toLowerCase()));
  return (entry) => {
    try {
      const uri = parseNameAddr(entry).uri;
      if (!('host' in uri)) return false;
      const host = uri.host.toLowerCase();
      return wanted.has(host) || (uri.port !== null && wanted.has(`${host}:${uri.port}`));
    } catch {
      return false;
    }
  };
}

/**
 * The Route a request the proxy originates towards `side` carries (ARCHITECTURE §5).
 * A request reaching `side` travels the path the *other* UA's requests take, i.e. the
 * other side's route set; the proxy sits somewhere on it, so only the hops after its own
 * (last) entry remain (RFC 3261 §16.12: each hop removes itself). When the proxy's own
 * entry is not found (it did not record-route) the whole route set is used.
 */
export function routeToward(
  s: DialogState,
  side: DialogSideName,
  isOwnRoute: OwnRoutePredicate,
): string[] {
  const path = side === 'callee' ? s.caller.routeSet : s.callee.routeSet;
  let last = -1;
  path.forEach((entry, i) => {
    if (isOwnRoute(entry)) last = i;
  });
  return path.slice(last + 1);
}
