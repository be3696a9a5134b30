/**
 * strata-edge: load config, bind the listeners, forward until SIGTERM/SIGINT.
 *
 *   node dist/main.js           run the edge (one process, or `workers: N` cluster workers)
 *   node dist/main.js --pick    read Call-IDs from stdin, one per line; print the core id the
 *                               ring picks for each (all cores up), then exit
 *
 * Exit codes: 0 clean stop, 1 runtime failure, 2 bad configuration.
 */
import cluster from 'node:cluster';
import { createInterface } from 'node:readline';
import { ConfigError, createRootLogger } from '@strata/config';
import { localAliases, SipTransport } from '@strata/transport';
import { runPrimary, runWorker, startProbeTransport } from './cluster.js';
import { loadEdgeConfig, type EdgeConfig } from './config.js';
import { EdgeNode, parseCore } from './edge-node.js';
import { CoreRing } from './ring.js';
import { ringState, totals, type EdgeStatsDocument } from './snapshot.js';
import { startStatusServer, type StatusServer } from '@strata/ops';
import { transportListeners } from '@strata/config';
import { edgeAdminRoutes } from './ops/admin.js';
import { DrainingCores } from './ops/draining-cores.js';
import { EdgeDrain } from './ops/drain.js';
import { registerForwarderMetrics, registerRingMetrics } from './ops/edge-metrics.js';
import { drainStaleMs, metricsRegistry, opsHandler, startHep, wireTap } from './ops/setup.js';
import { banAdminRoutes } from './security/admin.js';
import { registerBanMetrics } from './security/metrics.js';

async function main(): Promise<void> {
  let config: EdgeConfig;
  try {
    config = loadEdgeConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`strata-edge: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (process.argv.includes('--pick')) return pick(config);
  if (cluster.isWorker) return runWorker(config);
  if (config.workers > 1) return runPrimary(config);
  return runSingle(config);
}

/** The ring as every edge node with this config sees it, for consistency checks. */
async function pick(config: EdgeConfig): Promise<void> {
  const ring = new CoreRing(config.cores.map(parseCore), {
    vnodes: config.ring.vnodes,
    rejoin: config.ring.rejoin,
    rejoinGraceMs: config.ring.rejoinGraceMs,
  });
  const out: string[] = [];
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    const callId = line.trim();
    if (callId === '') continue;
    out.push(ring.pick(callId)?.id ?? '-');
    if (out.length >= 4096) {
      process.stdout.write(out.join('\n') + '\n');
      out.length = 0;
    }
  }
  if (out.length > 0) process.stdout.write(out.join('\n') + '\n');
}

async function runSingle(config: EdgeConfig): Promise<void> {
  const logger = createRootLogger('edge', config.nodeId, config.logLevel);
  const startedAt = Date.now();
  const transport = new SipTransport({
    listeners: transportListeners(config.listen, config.udp),
    logger,
  });
  await transport.start();
  const locals = await localAliases(transport.listeners());
  const probeTransport = await startProbeTransport(config, logger);
  const registry = metricsRegistry(config);
  const hep = await startHep(config, logger);
  const tap = wireTap(transport, registry, hep); // subscribes before the forwarder
  const edge = new EdgeNode(config, tap?.wrap() ?? transport, logger, locals, probeTransport);
  const drainingCores = new DrainingCores(edge.ring.allNodes(), drainStaleMs(config), (ids) => {
    edge.forwarder.drainingCores = ids;
  });
  probeTransport.onMessage((msg) => {
    if (msg.isRequest) return;
    edge.prober.handleResponse(msg);
    drainingCores.observe(msg);
  });
  const refresh = setInterval(() => drainingCores.refresh(), config.health.intervalMs);
  refresh.unref();
  edge.start();

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    drain.stop();
    clearInterval(refresh);
    logger.info({ signal }, 'stopping');
    edge.stop();
    void Promise.all([transport.stop(), probeTransport.stop(), status?.close(), hep?.close()]).then(
      () => process.exit(0),
    );
  };
  const drain = new EdgeDrain(
    config.drain.graceSeconds * 1000,
    config.drain.lingerSeconds * 1000,
    {
      rejectNew: () => {
        edge.forwarder.rejectNew = true;
      },
      finish: () => stop('drained'),
    },
    logger,
  );
  const ready = (): boolean => !drain.draining && edge.ring.upCount() > 0;
  if (registry !== null) {
    registerForwarderMetrics(registry, edge, transport);
    registerBanMetrics(registry, edge.security.bans);
    registerRingMetrics(registry, edge.ring, edge.prober, () => drainingCores.ids, {
      draining: () => drain.draining,
      ready,
    });
  }

  let status: StatusServer | null = null;
  if (config.status.enabled) {
    status = await startStatusServer(
      config.status,
      {
        ready,
        stats: () => {
          const self = { pid: process.pid, ...edge.counters(), transport: transport.stats() };
          const doc: EdgeStatsDocument = {
            nodeId: config.nodeId,
            mode: 'single',
            pid: process.pid,
            uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
            ready: ready(),
            ring: ringState(edge.ring, edge.prober),
            workers: [self],
            total: totals([self]),
          };
          return Promise.resolve(doc);
        },
      },
      logger,
      opsHandler(
        config,
        registry !== null
          ? async () => ({ contentType: registry.contentType, body: await registry.metrics() })
          : null,
        [
          ...edgeAdminRoutes({
            ring: edge.ring,
            prober: edge.prober,
            drainingCores: () => drainingCores.ids,
            drain,
          }),
          ...banAdminRoutes(edge.security.bans, config.security.bans.banSeconds),
        ],
        logger,
      ),
    );
  }
  logger.info(
    {
      listeners: transport.listeners(),
      cores: config.cores.map((c) => c.uri),
      status: status !== null ? { host: status.host, port: status.port } : null,
      workers: 1,
      metrics: registry !== null,
      hep: hep !== null ? { host: config.hep.host, port: config.hep.port } : null,
    },
    'edge started',
  );

  process.on('SIGTERM', () => {
    if (drain.draining) stop('SIGTERM (second)');
    else drain.start('SIGTERM');
  });
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`strata-edge: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
