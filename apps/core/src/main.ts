/**
 * strata-core: load config, bind the listeners, proxy until SIGTERM/SIGINT.
 * SIGHUP (or POST /admin/reload) re-reads the config file ($STRATA_CONFIG + STRATA_* env)
 * and swaps the routing part (routes, hunt groups, media groups); a bad file is logged and
 * ignored. SIGTERM (or POST /admin/drain) drains: new INVITEs and probes get 503, the
 * process exits 0 when the last dialog ends or `drain.deadlineSeconds` passes. SIGINT
 * stops at once.
 * Exit codes: 0 clean stop, 1 runtime failure, 2 bad configuration.
 */
import { ConfigError, createRootLogger } from '@strata/config';
import {
  adminPolicy,
  createOpsHandler,
  createRegistry,
  HepExporter,
  SipMessageMetrics,
} from '@strata/ops';
import { localAliases, SipTransport } from '@strata/transport';
import { loadCoreConfig, type CoreConfig } from './config.js';
import { CoreNode } from './core-node.js';
import { createStores } from './dialogs/stores.js';
import { coreAdminRoutes } from './ops/admin.js';
import { registerCoreMetrics } from './ops/core-metrics.js';
import { CoreDrain } from './ops/drain.js';
import { CoreWireTap } from './ops/wire-tap.js';
import { startStatusServer, type StatusServer } from '@strata/ops';
import { transportListeners } from '@strata/config';

async function main(): Promise<void> {
  let config: CoreConfig;
  try {
    config = loadCoreConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`strata-core: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createRootLogger('core', config.nodeId, config.logLevel);
  const transport = new SipTransport({
    listeners: transportListeners(config.listen, config.udp),
    logger,
  });
  await transport.start();
  const locals = await localAliases(transport.listeners());
  const stores = createStores(config, logger);

  // #9: metrics and HEP see the wire through a tap; with both off the CoreNode gets the
  // transport itself and nothing runs per message
  const registry = config.metrics.enabled
    ? createRegistry({ defaults: config.metrics.defaultMetrics })
    : null;
  let hep: HepExporter | null = null;
  if (config.hep.enabled) {
    hep = new HepExporter({
      host: config.hep.host,
      port: config.hep.port,
      captureId: config.hep.captureId,
      authKey: config.hep.authKey,
      logger,
    });
    await hep.start();
  }
  const tap =
    registry !== null || hep !== null
      ? new CoreWireTap(transport, registry !== null ? new SipMessageMetrics(registry) : null, hep)
      : null;
  tap?.attach(); // before the transaction layer subscribes: it sees each message first
  const core = new CoreNode(config, tap?.wrap() ?? transport, logger, locals, stores);
  if (tap !== null) tap.layer = core.layer;
  core.start();

  let stopping = false;
  let status: StatusServer | null = null;
  const stop = (signal: string, releaseLeases = false): void => {
    if (stopping) return;
    stopping = true;
    drain.stop();
    logger.info({ signal }, 'stopping');
    void core
      .stop({ releaseLeases })
      .then(() => Promise.all([transport.stop(), status?.close(), hep?.close()]))
      .then(() => process.exit(0));
  };
  const drain = new CoreDrain(
    core,
    config.drain.deadlineSeconds * 1000,
    (why) => stop(`drain ${why}`, why === 'deadline'),
    logger,
  );
  const ready = (): boolean =>
    !drain.draining && (stores.kind !== 'redis' || stores.status() === 'ok');

  const reload = (): { routes: number; mediaGroups: string[] } => {
    const next = loadCoreConfig();
    core.reloadRoutes(next);
    const done = { routes: next.routes.length, mediaGroups: Object.keys(next.mediaGroups) };
    logger.info(done, 'routing config reloaded');
    return done;
  };

  if (registry !== null) {
    const metrics = registerCoreMetrics({
      registry,
      core,
      transport,
      tap,
      nodeId: config.nodeId,
      draining: () => drain.draining,
      ready,
    });
    const write = stores.cdr.write.bind(stores.cdr);
    stores.cdr.write = async (state) => {
      const r = await write(state);
      if (r.written) metrics.cdrsWritten.inc();
      return r;
    };
  }

  const admin = adminPolicy(config.status.host, config.admin.enabled, config.admin.token);
  if (config.admin.enabled && admin === 'off')
    logger.warn(
      { host: config.status.host },
      'admin API disabled: status server is not on loopback and admin.token is not set',
    );
  if (config.status.enabled) {
    status = await startStatusServer(
      config.status,
      {
        status: () => stores.status(),
        ready,
        stats: () => core.stats(),
      },
      logger,
      createOpsHandler({
        ...(registry !== null
          ? {
              metrics: async () => ({
                contentType: registry.contentType,
                body: await registry.metrics(),
              }),
            }
          : {}),
        admin: {
          policy: admin,
          token: config.admin.token,
          routes: coreAdminRoutes({ core, drain, reload }),
        },
        logger,
      }),
    );
  }
  logger.info(
    {
      listeners: transport.listeners(),
      store: config.store.kind,
      status: status !== null ? { host: status.host, port: status.port } : null,
      metrics: registry !== null,
      admin,
      hep: hep !== null ? { host: config.hep.host, port: config.hep.port } : null,
    },
    'core started',
  );

  process.on('SIGHUP', () => {
    try {
      reload();
    } catch (err) {
      logger.error(
        { err: err instanceof ConfigError ? err.message : err },
        'reload failed: kept the running config',
      );
    }
  });

  process.on('SIGTERM', () => {
    if (drain.draining) stop('SIGTERM (second)');
    else drain.start('SIGTERM');
  });
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`strata-core: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
