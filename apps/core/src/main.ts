/**
 * strata-core: load config, bind the listeners, proxy until SIGTERM/SIGINT.
 * Exit codes: 0 clean stop, 1 runtime failure, 2 bad configuration.
 */
import { ConfigError, createRootLogger } from '@strata/config';
import { SipTransport } from '@strata/transport';
import { loadCoreConfig, type CoreConfig } from './config.js';
import { CoreNode } from './core-node.js';
import { createStores } from './dialogs/stores.js';
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
  const core = new CoreNode(config, transport, logger, locals, createStores(config, logger));
  core.start();
  logger.info({ listeners: transport.listeners(), store: config.store.kind }, 'core started');

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    void core
      .stop()
      .then(() => transport.stop())
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`strata-core: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
