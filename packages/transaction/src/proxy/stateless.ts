/**
 * Stateless forwarding (§16.11) for routes configured as stateless (the edge
 * app, ARCHITECTURE.md §4): no transaction, a branch that is a pure function
 * of the request so retransmissions, CANCEL and ACK-for-non-2xx take the same
 * branch (and the same core on the ring), and responses routed by their Via.
 */
import { defaultPort, popVia, pushVia, type SipRequest, type SipResponse } from '@strata/parser';
import type { Destination, Transport, TransportProtocol } from '@strata/transport';
import { topViaOf } from '../keys.js';
import { statelessBranch, type StatelessBranchOptions } from './branch-id.js';
import { applyTarget } from './forward.js';
import type { ProxyTarget, RecordRouteHook } from './types.js';

/** The Via value a stateless forward writes (sent-by from the transport, §16.11 branch). */
export function statelessVia(
  transport: Transport,
  destination: Destination,
  branch: string,
): string {
  const via = transport.viaFor(destination);
  const host = via.host.includes(':') && !via.host.startsWith('[') ? `[${via.host}]` : via.host;
  return `SIP/2.0/${via.transport} ${host}:${via.port};branch=${branch}`;
}

/**
 * Forward a request statelessly to one target: §16.6 steps 2–6 on the
 * request itself, then our Via with the stateless branch (computed from the
 * request as received), then send. Returns false when the request has no
 * usable top Via or CSeq (nothing was sent).
 */
export function forwardRequestStatelessly(
  transport: Transport,
  request: SipRequest,
  target: ProxyTarget,
  options: StatelessBranchOptions & { recordRoute?: RecordRouteHook },
): Promise<boolean> {
  const branch = statelessBranch(request, options);
  if (branch === null) return Promise.resolve(false);
  applyTarget(request, target, options.recordRoute ?? null);
  pushVia(request, statelessVia(transport, target.destination, branch));
  return transport.send(request, target.destination).then(() => true);
}

const PROTOCOLS: Record<string, TransportProtocol> = {
  UDP: 'udp',
  TCP: 'tcp',
  TLS: 'tls',
  WS: 'ws',
  WSS: 'wss',
};

/**
 * Where a response goes once the top Via is removed (§18.2.2): to the
 * `received` address when present, at the `rport` port when present, else
 * the sent-by port (or the transport's default). Null when no Via is left
 * (the response was for us) or the Via is unusable.
 */
export function responseDestination(response: SipResponse): Destination | null {
  const via = topViaOf(response);
  if (via === null) return null;
  const transport = PROTOCOLS[via.transport];
  if (transport === undefined) return null;
  const received = via.params.get('received');
  const rport = via.params.get('rport');
  const host = received ?? (via.host.startsWith('[') ? via.host.slice(1, -1) : via.host);
  const port =
    rport !== undefined && rport !== null && rport !== ''
      ? Number(rport)
      : (via.port ?? defaultPort(via.transport));
  return { transport, address: host, port };
}

/**
 * §16.11: "[responses] are processed [...] as described in Section 16.7
 * steps 3 and 9": remove our Via, send to the next Via. Returns false when
 * there is nowhere to send it.
 */
export function forwardResponseStatelessly(
  transport: Transport,
  response: SipResponse,
): Promise<boolean> {
  popVia(response);
  const dest = responseDestination(response);
  if (dest === null) return Promise.resolve(false);
  return transport.send(response, dest).then(() => true);
}
