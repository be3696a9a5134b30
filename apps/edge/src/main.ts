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
import { SipTransport } from '@strata/transport';
import { runPrimary, runWorker, startProbeTransport } from './cluster.js';
import { loadEdgeConfig, type EdgeConfig } from './config.js';
import { EdgeNode, parseCore } from './edge-node.js';
import { CoreRing } from './ring.js';
import { ringState, totals, type EdgeStatsDocument } from './snapshot.js';
import { startStatusServer, type StatusServer } from './status-server.js';
import { transportListeners } from './transport-config.js';

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
  const locals = transport
    .listeners()
    .map((l) => ({ transport: l.transport, host: l.advertisedHost, port: l.advertisedPort }));
  const probeTransport = await startProbeTransport(config, logger);
  const edge = new EdgeNode(config, transport, logger, locals, probeTransport);
  probeTransport.onMessage((msg) => {
    if (!msg.isRequest) edge.prober.handleResponse(msg);
  });
  edge.start();

  let status: StatusServer | null = null;
  if (config.status.enabled) {
    status = await startStatusServer(
      config.status,
      {
        ready: () => edge.ring.upCount() > 0,
        stats: () => {
          const self = { pid: process.pid, ...edge.counters(), transport: transport.stats() };
          const doc: EdgeStatsDocument = {
            nodeId: config.nodeId,
            mode: 'single',
            pid: process.pid,
            uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
            ready: edge.ring.upCount() > 0,
            ring: ringState(edge.ring, edge.prober),
            workers: [self],
            total: totals([self]),
          };
          return Promise.resolve(doc);
        },
      },
      logger,
    );
  }
  logger.info(
    {
      listeners: transport.listeners(),
      cores: config.cores.map((c) => c.uri),
      status: status !== null ? { host: status.host, port: status.port } : null,
      workers: 1,
    },
    'edge started',
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    edge.stop();
    void Promise.all([transport.stop(), probeTransport.stop(), status?.close()]).then(() =>
      process.exit(0),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`strata-edge: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
