/**
 * `workers: N` — N node:cluster worker processes share the listening sockets
 * (the transport binds with `exclusive: false`, so workers' UDP sockets and
 * TCP servers are handles owned by the primary: one port, N readers).
 *
 * The primary forwards nothing. It probes the cores once for all workers,
 * from its own sockets on ephemeral ports (a probe answer arriving on the
 * shared socket could be read by any worker, and each worker probing would
 * multiply the probe load by N), and pushes every up/down change to all
 * workers over IPC, so they all see the same ring. It also serves the status
 * endpoint and restarts workers that die. Counters are per worker; /stats
 * lists them and their sum.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { createRootLogger, type ListenerConfig, type Logger } from '@strata/config';
import { localAliases, SipTransport, type BoundListener } from '@strata/transport';
import type { EdgeConfig } from './config.js';
import { CoreProber } from './core-prober.js';
import { CoreAddressResolver } from './core-resolver.js';
import {
  CORE_RESOLVE_INTERVAL_MS,
  CORE_RESOLVE_TIMEOUT_MS,
  EdgeNode,
  parseCore,
} from './edge-node.js';
import { CoreRing } from './ring.js';
import { ringState, totals, type EdgeStatsDocument, type WorkerCounters } from './snapshot.js';
import { startStatusServer, type StatusServer } from '@strata/ops';
import { transportListeners } from '@strata/config';
import { edgeAdminRoutes } from './ops/admin.js';
import { DrainingCores } from './ops/draining-cores.js';
import { EdgeDrain } from './ops/drain.js';
import { registerForwarderMetrics, registerRingMetrics } from './ops/edge-metrics.js';
import { drainStaleMs, metricsRegistry, opsHandler, startHep, wireTap } from './ops/setup.js';
import { AllowList } from './cidr.js';
import type { BanEvent } from './security/ban-list.js';
import { banAdminRoutes } from './security/admin.js';
import { EdgeSecurity, type SecurityReport } from './security/edge-security.js';
import { registerBanMetrics } from './security/metrics.js';
import { IpcReplayGuard, sharedSecurity } from './security/shared.js';

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** primary → worker */
type ToWorker =
  | { t: 'ring'; up: Record<string, boolean> }
  | { t: 'stats?'; id: number }
  | { t: 'metrics?'; id: number }
  | { t: 'draining'; cores: string[] }
  | { t: 'reject-new' }
  /** #12: a ban decided by the primary (from any worker's reports, the admin API or Redis) */
  | { t: 'ban'; e: BanEvent }
  | { t: 'nc'; id: number; fresh: boolean };
/** worker → primary */
type ToPrimary =
  | { t: 'started'; listeners: BoundListener[] }
  | { t: 'stats'; id: number; body: WorkerCounters }
  | { t: 'metrics'; id: number; body: MetricsJson }
  /** #12: a failed digest attempt or a scanner, for the primary to count */
  | { t: 'sec'; r: SecurityReport }
  /** #12: claim a (nonce, nc) pair in the primary's replay set */
  | { t: 'nc?'; id: number; key: string; nc: string; ttlMs: number; holder: string };

const STATS_TIMEOUT_MS = 1_000;
const START_TIMEOUT_MS = 15_000;
/** more unexpected worker exits than this within RESTART_WINDOW_MS: give up (exit 1) */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

export async function runPrimary(config: EdgeConfig): Promise<void> {
  const logger = createRootLogger('edge', config.nodeId, config.logLevel).child({
    role: 'primary',
  });
  const startedAt = Date.now();

  const probeTransport = await startProbeTransport(config, logger);
  const ring = new CoreRing(config.cores.map(parseCore), {
    vnodes: config.ring.vnodes,
    rejoin: config.ring.rejoin,
    rejoinGraceMs: config.ring.rejoinGraceMs,
  });
  const ringMessage = (): ToWorker => ({
    t: 'ring',
    up: Object.fromEntries(ring.allNodes().map((n) => [n.id, ring.isUp(n.id)])),
  });
  const sendTo = (w: Worker, m: ToWorker): void => {
    if (!w.isConnected()) return;
    try {
      w.send(m);
    } catch (err) {
      logger.debug({ err, worker: w.id }, 'ipc send failed');
    }
  };
  const liveWorkers = (): Worker[] =>
    Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  // #12: the primary counts failures for all workers, decides bans and relays them
  const trusted = new AllowList(config.protection.trusted);
  const security = new EdgeSecurity(
    config,
    (a) => trusted.has(a),
    logger.child({ component: 'security' }),
  );
  const shared = sharedSecurity(config, security.bans, logger);
  security.bans.onChange((e) => {
    for (const w of liveWorkers()) sendTo(w, { t: 'ban', e });
  });
  const prober = new CoreProber(
    ring,
    probeTransport,
    { ...config.health, nodeId: config.nodeId },
    logger.child({ component: 'prober' }),
    () => {
      const m = ringMessage();
      for (const w of liveWorkers()) sendTo(w, m);
    },
  );
  const drainingCores = new DrainingCores(ring.allNodes(), drainStaleMs(config), (ids) => {
    const m: ToWorker = { t: 'draining', cores: [...ids] };
    for (const w of liveWorkers()) sendTo(w, m);
  });
  probeTransport.onMessage((msg) => {
    if (msg.isRequest) return;
    prober.handleResponse(msg);
    drainingCores.observe(msg);
  });
  const refresh = setInterval(() => drainingCores.refresh(), config.health.intervalMs);
  refresh.unref();
  let rejectingNew = false;

  // ---- workers ---------------------------------------------------------------
  let stopping = false;
  let statsSeq = 0;
  const statsWaits = new Map<number, (c: WorkerCounters) => void>();
  const metricsWaits = new Map<number, (m: MetricsJson) => void>();
  const restarts: number[] = [];
  let firstListeners: BoundListener[] | null = null;
  let startedCount = 0;
  let onAllStarted: (() => void) | null = null;
  let onStartFailed: ((err: Error) => void) | null = null;

  const fork = (): Worker => {
    const w = cluster.fork();
    w.on('message', (m: ToPrimary) => {
      if (m.t === 'started') {
        firstListeners ??= m.listeners;
        sendTo(w, ringMessage());
        sendTo(w, { t: 'draining', cores: [...drainingCores.ids] });
        if (rejectingNew) sendTo(w, { t: 'reject-new' });
        for (const b of security.bans.list()) sendTo(w, { t: 'ban', e: { t: 'ban', entry: b } });
        if (++startedCount === config.workers) onAllStarted?.();
      } else if (m.t === 'stats') {
        statsWaits.get(m.id)?.(m.body);
      } else if (m.t === 'metrics') {
        metricsWaits.get(m.id)?.(m.body);
      } else if (m.t === 'sec') {
        security.handle(m.r);
      } else if (m.t === 'nc?') {
        void shared.replay
          .claim(m.key, m.nc, m.ttlMs, m.holder)
          .then((fresh) => sendTo(w, { t: 'nc', id: m.id, fresh }));
      }
    });
    w.on('exit', (code, signal) => {
      if (stopping) return;
      if (onAllStarted !== null) {
        onStartFailed?.(new Error(`worker ${w.id} exited during start (code ${code})`));
        return;
      }
      const now = Date.now();
      restarts.push(now);
      while (restarts.length > 0 && restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
      if (restarts.length > MAX_RESTARTS) {
        logger.fatal({ restarts: restarts.length }, 'workers keep dying, giving up');
        stop('worker-crash-loop', 1);
        return;
      }
      logger.error({ worker: w.id, code, signal }, 'worker died, restarting');
      fork();
    });
    return w;
  };

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`workers not started within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    onAllStarted = () => {
      clearTimeout(timer);
      resolve();
    };
    onStartFailed = (err) => {
      clearTimeout(timer);
      reject(err);
    };
    for (let i = 0; i < config.workers; i++) fork();
  }).catch((err: unknown) => {
    stopping = true;
    for (const w of liveWorkers()) w.process.kill('SIGKILL');
    throw err;
  });
  onAllStarted = null;
  onStartFailed = null;
  // the primary's probes go to the cores' IPs too (the workers resolve their own rings)
  const resolver = new CoreAddressResolver(ring.allNodes(), {
    intervalMs: CORE_RESOLVE_INTERVAL_MS,
    timeoutMs: CORE_RESOLVE_TIMEOUT_MS,
    logger,
  });
  resolver.start();
  prober.start();
  void shared.start();

  const gather = (): Promise<WorkerCounters[]> => {
    const workers = liveWorkers().filter((w) => w.isConnected());
    if (workers.length === 0) return Promise.resolve([]);
    const id = ++statsSeq;
    const got: WorkerCounters[] = [];
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        statsWaits.delete(id);
        resolve(got.sort((a, b) => a.pid - b.pid));
      };
      const timer = setTimeout(done, STATS_TIMEOUT_MS);
      statsWaits.set(id, (c) => {
        got.push(c);
        if (got.length === workers.length) done();
      });
      for (const w of workers) sendTo(w, { t: 'stats?', id });
    });
  };
  /** every worker's registry as JSON (1 s timeout: a stuck worker is left out) */
  const gatherMetrics = (): Promise<MetricsJson[]> => {
    const workers = liveWorkers().filter((w) => w.isConnected());
    if (workers.length === 0) return Promise.resolve([]);
    const id = ++statsSeq;
    const got: MetricsJson[] = [];
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        metricsWaits.delete(id);
        resolve(got);
      };
      const timer = setTimeout(done, STATS_TIMEOUT_MS);
      metricsWaits.set(id, (m) => {
        got.push(m);
        if (got.length === workers.length) done();
      });
      for (const w of workers) sendTo(w, { t: 'metrics?', id });
    });
  };

  const drain = new EdgeDrain(
    config.drain.graceSeconds * 1000,
    config.drain.lingerSeconds * 1000,
    {
      rejectNew: () => {
        rejectingNew = true;
        for (const w of liveWorkers()) sendTo(w, { t: 'reject-new' });
      },
      finish: () => stop('drained'),
    },
    logger,
  );
  const ready = (): boolean => !drain.draining && ring.upCount() > 0;
  // the primary's registry: ring and probe state, its own process metrics; /metrics adds
  // the workers' registries (counters summed, process gauges summed per prom-client's
  // aggregators) — one node, one set of series
  const registry = metricsRegistry(config);
  if (registry !== null) {
    registerRingMetrics(registry, ring, prober, () => drainingCores.ids, {
      draining: () => drain.draining,
      ready,
    });
    registerBanMetrics(registry, security.bans);
  }

  let status: StatusServer | null = null;
  if (config.status.enabled) {
    status = await startStatusServer(
      config.status,
      {
        ready,
        stats: async () => {
          const workers = await gather();
          const doc: EdgeStatsDocument = {
            nodeId: config.nodeId,
            mode: 'cluster',
            pid: process.pid,
            uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
            ready: ready(),
            ring: ringState(ring, prober),
            workers,
            total: totals(workers),
          };
          return doc;
        },
      },
      logger,
      opsHandler(
        config,
        registry !== null
          ? async () => {
              const own = await registry.getMetricsAsJSON();
              const all = AggregatorRegistry.aggregate([own, ...(await gatherMetrics())]);
              return { contentType: registry.contentType, body: await all.metrics() };
            }
          : null,
        [
          ...edgeAdminRoutes({ ring, prober, drainingCores: () => drainingCores.ids, drain }),
          ...banAdminRoutes(security.bans, config.security.bans.banSeconds),
        ],
        logger,
      ),
    );
  }
  logger.info(
    {
      listeners: firstListeners,
      cores: config.cores.map((c) => c.uri),
      status: status !== null ? { host: status.host, port: status.port } : null,
      workers: config.workers,
      probeListeners: probeTransport.listeners(),
    },
    'edge started',
  );

  function stop(signal: string, code = 0): void {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    drain.stop();
    clearInterval(refresh);
    resolver.stop();
    prober.stop();
    shared.stop();
    const exits = liveWorkers().map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.isDead()) return resolve();
          w.once('exit', () => resolve());
          w.process.kill('SIGTERM');
        }),
    );
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, 5_000).unref());
    void Promise.race([Promise.all(exits), deadline])
      .then(() => Promise.all([probeTransport.stop(), status?.close()]))
      .then(() => process.exit(code));
  }
  process.on('SIGTERM', () => {
    if (drain.draining) stop('SIGTERM (second)');
    else drain.start('SIGTERM');
  });
  process.on('SIGINT', () => stop('SIGINT'));
}

export async function runWorker(config: EdgeConfig): Promise<void> {
  const logger = createRootLogger('edge', config.nodeId, config.logLevel).child({
    worker: cluster.worker?.id ?? 0,
  });
  const transport = new SipTransport({
    listeners: transportListeners(config.listen, config.udp),
    logger,
  });
  await transport.start();
  const locals = await localAliases(transport.listeners());
  const registry = metricsRegistry(config);
  const hep = await startHep(config, logger);
  const tap = wireTap(transport, registry, hep); // subscribes before the forwarder
  const replay = new IpcReplayGuard((m) => process.send?.(m satisfies ToPrimary));
  const edge = new EdgeNode(config, tap?.wrap() ?? transport, logger, locals, transport, {
    report: (r) => process.send?.({ t: 'sec', r } satisfies ToPrimary),
    replay,
  });
  if (registry !== null) registerForwarderMetrics(registry, edge, transport);
  edge.start({ probe: false });

  process.on('message', (m: ToWorker) => {
    if (m.t === 'ring') {
      for (const [id, up] of Object.entries(m.up)) edge.ring.setUp(id, up);
    } else if (m.t === 'draining') {
      edge.forwarder.drainingCores = new Set(m.cores);
    } else if (m.t === 'reject-new') {
      edge.forwarder.rejectNew = true;
    } else if (m.t === 'ban') {
      edge.security.bans.apply(m.e);
    } else if (m.t === 'nc') {
      replay.answered(m.id, m.fresh);
    } else if (m.t === 'metrics?') {
      void (registry?.getMetricsAsJSON() ?? Promise.resolve([])).then((body) =>
        process.send?.({ t: 'metrics', id: m.id, body } satisfies ToPrimary),
      );
    } else if (m.t === 'stats?') {
      const body: WorkerCounters = {
        pid: process.pid,
        ...edge.counters(),
        transport: transport.stats(),
      };
      process.send?.({ t: 'stats', id: m.id, body } satisfies ToPrimary);
    }
  });
  process.send?.({ t: 'started', listeners: transport.listeners() } satisfies ToPrimary);
  logger.debug({ listeners: transport.listeners() }, 'worker started');

  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    logger.debug({ why }, 'worker stopping');
    edge.stop();
    void Promise.all([transport.stop(), hep?.close()]).then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // the primary is gone: nobody probes for us or restarts us
  process.on('disconnect', () => stop('primary gone'));
}

/**
 * Probe sockets: one per configured transport that can reach a core, on any free
 * port, apart from the listeners. A flood fills the listening socket's receive
 * buffer; probe answers must not queue (or get dropped) behind it, or a healthy
 * core is marked down and every call gets 503. Only responses are read here.
 */
export async function startProbeTransport(
  config: EdgeConfig,
  logger: Logger,
): Promise<SipTransport> {
  const t = new SipTransport({
    listeners: transportListeners(probeListeners(config.listen)),
    logger: logger.child({ role: 'probe' }),
  });
  await t.start();
  return t;
}

function probeListeners(listen: readonly ListenerConfig[]): ListenerConfig[] {
  const seen = new Set<string>();
  const out: ListenerConfig[] = [];
  for (const l of listen) {
    if (l.transport !== 'udp' && l.transport !== 'tcp' && l.transport !== 'tls') continue;
    const key = `${l.transport}|${l.host}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const { advertisePort: _ignored, ...rest } = l;
    out.push({ ...rest, port: 0 });
  }
  return out;
}
