/** Shared wiring of the edge's ops parts for the single process, the primary and the workers. */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  adminPolicy,
  createOpsHandler,
  createRegistry,
  HepExporter,
  SipMessageMetrics,
  type AdminRoute,
  type OpsHandler,
} from '@strata/ops';
import type { SipTransport } from '@strata/transport';
import type { EdgeConfig } from '../config.js';
import { EdgeWireTap } from './wire-tap.js';

export function metricsRegistry(config: EdgeConfig): Registry | null {
  return config.metrics.enabled
    ? createRegistry({ defaults: config.metrics.defaultMetrics })
    : null;
}

export async function startHep(config: EdgeConfig, logger: Logger): Promise<HepExporter | null> {
  if (!config.hep.enabled) return null;
  const hep = new HepExporter({
    host: config.hep.host,
    port: config.hep.port,
    captureId: config.hep.captureId,
    authKey: config.hep.authKey,
    logger,
  });
  await hep.start();
  return hep;
}

/** A tap only when something needs it: with metrics and HEP off the forwarder gets the transport. */
export function wireTap(
  transport: SipTransport,
  registry: Registry | null,
  hep: HepExporter | null,
): EdgeWireTap | null {
  if (registry === null && hep === null) return null;
  const tap = new EdgeWireTap(
    transport,
    registry !== null ? new SipMessageMetrics(registry) : null,
    hep,
  );
  tap.attach();
  return tap;
}

/** Draining answers stop mattering once no probe answer came for this long. */
export function drainStaleMs(config: EdgeConfig): number {
  return config.health.intervalMs * 2 + config.health.timeoutMs;
}

export function opsHandler(
  config: EdgeConfig,
  metrics: (() => Promise<{ contentType: string; body: string }>) | null,
  routes: AdminRoute[],
  logger: Logger,
): OpsHandler {
  const policy = adminPolicy(config.status.host, config.admin.enabled, config.admin.token);
  if (config.admin.enabled && policy === 'off')
    logger.warn(
      { host: config.status.host },
      'admin API disabled: status server is not on loopback and admin.token is not set',
    );
  return createOpsHandler({
    ...(metrics !== null ? { metrics } : {}),
    admin: { policy, token: config.admin.token, routes },
    logger,
  });
}
