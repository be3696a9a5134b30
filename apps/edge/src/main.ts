/**
 * strata-edge: load config, bind the listeners, forward until SIGTERM/SIGINT.
 * Exit codes: 0 clean stop, 1 runtime failure, 2 bad configuration.
 */
import { ConfigError, createRootLogger } from '@strata/config';
import { SipTransport } from '@strata/transport';
import { loadEdgeConfig, type EdgeConfig } from './config.js';
import { EdgeNode } from './edge-node.js';
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
  const logger = createRootLogger('edge', config.nodeId, config.logLevel);
  const transport = new SipTransport({ listeners: transportListeners(config.listen), logger });
  await transport.start();
  const locals = transport
    .listeners()
    .map((l) => ({ transport: l.transport, host: l.advertisedHost, port: l.advertisedPort }));
  const edge = new EdgeNode(config, transport, logger, locals);
  edge.start();
  logger.info(
    { listeners: transport.listeners(), cores: config.cores.map((c) => c.uri) },
    'edge started',
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    edge.stop();
    void transport.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`strata-edge: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
