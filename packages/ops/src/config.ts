/**
 * Config sections both apps share (#9): `metrics`, `admin`, `hep`. Each app adds them to
 * its zod schema as `ops` fields; `drain` is per app (the core and the edge drain differently).
 */
import { z } from 'zod';

export const opsConfigSchema = {
  /** Prometheus exposition at GET /metrics on the status server */
  metrics: z
    .object({
      enabled: z.boolean().default(true),
      /** prom-client's process metrics: CPU, memory, event-loop lag, GC, handles */
      defaultMetrics: z.boolean().default(true),
    })
    .default({}),
  /** admin API under /admin/ on the status server (see @strata/ops http.ts for the policy) */
  admin: z
    .object({
      enabled: z.boolean().default(true),
      /** bearer token; required whenever the status server is not on loopback (STRATA_ADMIN__TOKEN) */
      token: z.string().min(8, 'at least 8 characters').optional(),
    })
    .default({}),
  /** HEPv3 copies of every SIP message sent and received, to a Homer collector (UDP) */
  hep: z
    .object({
      enabled: z.boolean().default(false),
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(1).max(65535).default(9060),
      /** capture agent id (HEP chunk 12) */
      captureId: z.number().int().min(0).max(0xffffffff).default(2001),
      /** HEP auth key (chunk 14), when the collector checks one */
      authKey: z.string().optional(),
    })
    .default({}),
};

export type OpsConfig = {
  [K in keyof typeof opsConfigSchema]: z.infer<(typeof opsConfigSchema)[K]>;
};
