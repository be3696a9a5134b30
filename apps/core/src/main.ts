/**
 * strata-core: load config, bind the listeners, proxy until SIGTERM/SIGINT.
 * SIGHUP re-reads the config file ($STRATA_CONFIG + STRATA_* env) and swaps the
 * routing part (routes, hunt groups, media groups); a bad file is logged and ignored.
 * Exit codes: 0 clean stop, 1 runtime failure, 2 bad configuration.
 */
import { ConfigError, createRootLogger } from '@strata/config';
import { SipTransport } from '@strata/transport';
import { loadCoreConfig, type CoreConfig } from './config.js';
import { CoreNode } from './core-node.js';
import { createStores } from './dialogs/stores.js';
import { startStatusServer, type StatusServer } from './status-server.js';
import { transportListeners } from './transport-config.js';

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
  const transport = new SipTransport({ listeners: transportListeners(config.listen), logger });
  await transport.start();
  const locals = transport
    .listeners()
    .map((l) => ({ transport: l.transport, host: l.advertisedHost, port: l.advertisedPort }));
  const stores = createStores(config, logger);
  const core = new CoreNode(config, transport, logger, locals, stores);
  core.start();

  let status: StatusServer | null = null;
  if (config.status.enabled) {
    status = await startStatusServer(
      config.status,
      {
        status: () => stores.status(),
        ready: () => stores.kind !== 'redis' || stores.status() === 'ok',
        stats: () => core.stats(),
      },
      logger,
    );
  }
  logger.info(
    {
      listeners: transport.listeners(),
      store: config.store.kind,
      status: status !== null ? { host: status.host, port: status.port } : null,
    },
    'core started',
  );

  process.on('SIGHUP', () => {
    try {
      const next = loadCoreConfig();
      core.reloadRoutes(next);
      logger.info(
        { routes: next.routes.length, mediaGroups: Object.keys(next.mediaGroups) },
        'routing config reloaded',
      );
    } catch (err) {
      logger.error(
        { err: err instanceof ConfigError ? err.message : err },
        'reload failed: kept the running config',
      );
    }
  });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    void core
      .stop()
      .then(() => Promise.all([transport.stop(), status?.close()]))
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`strata-core: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
