/**
 * The edge's Prometheus metrics (#9). Per forwarding process (the single process or each
 * worker): SIP messages by method/class (wire tap), parse errors, drops by reason, local
 * replies by status. Per node (the single process or the cluster primary, which probes):
 * ring membership and probe state. Values already kept as plain counters are read at
 * scrape time.
 */
import type { Registry } from 'prom-client';
import { counterFrom, gaugeFrom } from '@strata/ops';
import type { SipTransport } from '@strata/transport';
import type { CoreProber } from '../core-prober.js';
import type { EdgeNode } from '../edge-node.js';
import type { CoreRing } from '../ring.js';

export function registerForwarderMetrics(
  r: Registry,
  edge: EdgeNode,
  transport: SipTransport,
): void {
  const s = edge.stats;
  counterFrom(
    r,
    'strata_sip_parse_errors_total',
    'Received datagrams/frames the parser rejected',
    () => transport.stats().parseErrors,
  );
  counterFrom(
    r,
    'strata_transport_send_errors_total',
    'Sends the transport failed',
    () => transport.stats().sendErrors,
  );
  counterFrom(
    r,
    'strata_edge_requests_forwarded_total',
    'Requests forwarded (to a core or a client)',
    () => s.requestsForwarded,
  );
  counterFrom(
    r,
    'strata_edge_responses_forwarded_total',
    'Responses forwarded along their Via',
    () => s.responsesForwarded,
  );
  counterFrom(
    r,
    'strata_edge_dropped_total',
    'Requests/responses dropped, by reason (rate-limit, scanner, relay, auth-*, no-core, foreign-via, draining …)',
    () => [...s.dropped].map(([reason, n]) => [{ reason }, n] as const),
    ['reason'],
  );
  counterFrom(
    r,
    'strata_edge_local_replies_total',
    'Requests the edge answered itself, by status',
    () => [...s.rejected].map(([status, n]) => [{ status: String(status) }, n] as const),
    ['status'],
  );
  gaugeFrom(
    r,
    'strata_edge_rate_limiter_sources',
    'Source addresses tracked by the rate limiter',
    () => edge.limiter?.trackedSources ?? 0,
  );
}

export function registerRingMetrics(
  r: Registry,
  ring: CoreRing,
  prober: CoreProber,
  draining: () => ReadonlySet<string>,
  state: { draining: () => boolean; ready: () => boolean },
): void {
  const perCore = (f: (id: string) => number) => () =>
    ring.allNodes().map((n) => [{ core: n.id }, f(n.id)] as const);
  gaugeFrom(r, 'strata_edge_ring_cores', 'Cores configured in the ring', () => ring.size);
  gaugeFrom(r, 'strata_edge_ring_cores_up', 'Cores the probes say are up', () => ring.upCount());
  gaugeFrom(
    r,
    'strata_edge_core_up',
    'Core ring membership (1 up, 0 down)',
    perCore((id) => (ring.isUp(id) ? 1 : 0)),
    ['core'],
  );
  gaugeFrom(
    r,
    'strata_edge_core_draining',
    'Core answers probes with 503 (no new calls; in-dialog requests still go there)',
    perCore((id) => (draining().has(id) ? 1 : 0)),
    ['core'],
  );
  gaugeFrom(
    r,
    'strata_edge_core_probe_misses',
    'Consecutive probe misses per core',
    perCore((id) => prober.snapshot()[id]?.misses ?? 0),
    ['core'],
  );
  gaugeFrom(
    r,
    'strata_edge_core_probe_rtt_seconds',
    'Round-trip time of the latest answered probe',
    perCore((id) => (prober.snapshot()[id]?.lastRttMs ?? 0) / 1000),
    ['core'],
  );
  gaugeFrom(r, 'strata_draining', '1 while this edge drains', () => (state.draining() ? 1 : 0));
  gaugeFrom(r, 'strata_ready', 'Readiness (1 ready)', () => (state.ready() ? 1 : 0));
}
