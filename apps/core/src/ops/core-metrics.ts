/**
 * The core's Prometheus metrics (#9). Values that already exist as plain counters (transport
 * stats, the dialog tracker's metrics, the transaction layer's size, probe state, store
 * status) are read at scrape time; the wire tap adds calls, retransmissions and failures.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import { counterFrom, gaugeFrom } from '@strata/ops';
import type { RedisDialogStore } from '@strata/dialog';
import type { SipTransport } from '@strata/transport';
import type { CoreNode } from '../core-node.js';
import type { CallEvents } from '../events/call-events.js';
import type { CoreWireTap } from './wire-tap.js';

export interface CoreMetricsDeps {
  registry: Registry;
  core: CoreNode;
  transport: SipTransport;
  tap: CoreWireTap | null;
  nodeId: string;
  draining: () => boolean;
  ready: () => boolean;
}

export interface CoreMetrics {
  cdrsWritten: Counter;
  replicationLag: Histogram;
}

export function registerCoreMetrics(d: CoreMetricsDeps): CoreMetrics {
  const { registry: r, core, transport, tap } = d;
  const stores = core.stores;
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
  if (tap !== null) {
    const c = tap.counters;
    counterFrom(
      r,
      'strata_sip_retransmissions_absorbed_total',
      'Request retransmissions answered from transaction state (not relayed)',
      () => c.retransmissionsAbsorbed,
    );
    counterFrom(
      r,
      'strata_calls_total',
      'New calls: initial INVITEs received (rate() = calls per second)',
      () => c.calls,
    );
    counterFrom(
      r,
      'strata_call_failures_total',
      'Final non-2xx responses to INVITE sent by the core, by status code',
      () => [...c.callFailures].map(([code, n]) => [{ code: String(code) }, n] as const),
      ['code'],
    );
  }
  gaugeFrom(
    r,
    'strata_transactions_active',
    'Live transactions by kind',
    () => {
      const s = core.layer.size;
      return [
        [{ kind: 'client' }, s.clients],
        [{ kind: 'server' }, s.servers],
      ] as const;
    },
    ['kind'],
  );
  gaugeFrom(
    r,
    'strata_dialogs_active',
    'Dialogs (early + confirmed) this node owns',
    () => core.dialogs.metrics().active,
  );
  gaugeFrom(
    r,
    'strata_dialogs_early',
    'Early dialogs this node owns',
    () => core.dialogs.metrics().early,
  );
  gaugeFrom(
    r,
    'strata_dialogs_confirmed',
    'Confirmed dialogs this node owns',
    () => core.dialogs.metrics().confirmed,
  );
  counterFrom(
    r,
    'strata_dialogs_terminated_total',
    'Ended dialogs by hangup party / reason',
    () =>
      Object.entries(core.dialogs.metrics().terminated).map(
        ([party, n]) => [{ party }, n ?? 0] as const,
      ),
    ['party'],
  );
  counterFrom(
    r,
    'strata_dialog_keepalive_failures_total',
    'In-dialog keep-alive OPTIONS that failed',
    () => core.dialogs.metrics().keepaliveFailures,
  );
  counterFrom(
    r,
    'strata_dialogs_adopted_total',
    'Dialogs taken over from another core',
    () => core.dialogs.metrics().adopted,
  );
  const cdrsWritten = new Counter({
    name: 'strata_cdrs_written_total',
    help: 'CDRs written by this node (once per call across the cluster)',
    registers: [r],
  });
  gaugeFrom(
    r,
    'strata_media_server_up',
    'Media server probe state (1 up, 0 down) by group and URI',
    () => {
      const out: [{ group: string; uri: string }, number][] = [];
      for (const [group, g] of core.mediaGroups)
        for (const t of g.targets) out.push([{ group, uri: t.uri }, t.up ? 1 : 0]);
      return out;
    },
    ['group', 'uri'],
  );
  gaugeFrom(
    r,
    'strata_store_degraded',
    '1 while the store runs on local copies (Redis failing)',
    () => (stores.status() === 'degraded' ? 1 : 0),
  );
  const redisStore = stores.kind === 'redis' ? (stores.dialogs as RedisDialogStore) : null;
  if (redisStore !== null) {
    gaugeFrom(r, 'strata_redis_up', 'Redis connection state (1 ready, 0 not)', () =>
      redisStore.redis.status === 'ready' ? 1 : 0,
    );
    gaugeFrom(
      r,
      'strata_replication_lag_max_seconds',
      'Largest replication lag seen',
      () => redisStore.lagStats().max / 1000,
    );
  }
  const replicationLag = new Histogram({
    name: 'strata_replication_lag_seconds',
    help: 'Dialog write on another core → change notification here',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [r],
  });
  if (redisStore !== null) {
    redisStore.onChange((c) => {
      if (c.node !== d.nodeId && c.writtenAt > 0)
        replicationLag.observe(Math.max(0, Date.now() - c.writtenAt) / 1000);
    });
  }
  gaugeFrom(r, 'strata_registrations_contacts', 'Registered contacts (live bindings)', async () => {
    let n = 0;
    try {
      for (const aor of await stores.locations.listAors())
        n += (await stores.locations.get(aor)).length;
    } catch {
      return -1;
    }
    return n;
  });
  gaugeFrom(r, 'strata_draining', '1 while the core drains (new INVITEs get 503)', () =>
    d.draining() ? 1 : 0,
  );
  gaugeFrom(r, 'strata_ready', 'Readiness (1 ready)', () => (d.ready() ? 1 : 0));
  registerCallEventMetrics(r, core.callEvents);
  return { cdrsWritten, replicationLag };
}

/**
 * Call events (issue #14): published, and per sink (`redis-stream`, `webhook`) what its
 * delivery worker counts — the same numbers as /stats `callControl.events`. One core is one
 * process, so these are the node's totals.
 */
export function registerCallEventMetrics(r: Registry, events: Pick<CallEvents, 'stats'>): void {
  counterFrom(
    r,
    'strata_call_events_published_total',
    'Call events this node generated (each goes to every sink)',
    () => events.stats().published,
  );
  const perSink = (field: 'queued' | 'delivered' | 'dropped' | 'failed' | 'retries') => () =>
    events.stats().sinks.map((s) => [{ sink: s.sink }, s[field]] as const);
  gaugeFrom(
    r,
    'strata_call_events_queued',
    'Call events waiting in a sink queue',
    perSink('queued'),
    ['sink'],
  );
  counterFrom(
    r,
    'strata_call_events_delivered_total',
    'Call events a sink acknowledged',
    perSink('delivered'),
    ['sink'],
  );
  counterFrom(
    r,
    'strata_call_events_dropped_total',
    'Call events dropped from a full sink queue (oldest first)',
    perSink('dropped'),
    ['sink'],
  );
  counterFrom(
    r,
    'strata_call_events_failed_total',
    'Call events given up after maxAttempts failed deliveries',
    perSink('failed'),
    ['sink'],
  );
  counterFrom(r, 'strata_call_events_retries_total', 'Batch delivery retries', perSink('retries'), [
    'sink',
  ]);
}
