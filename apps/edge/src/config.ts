/**
 * Edge configuration schema. Loading (YAML + STRATA_* env overrides) is
 * shared with the core: see @strata/config.
 */
import {
  digestAuthSchema,
  listenerSchema,
  loadConfig,
  logLevelSchema,
  redisEndpointSchema,
  udpSocketSchema,
  type LoadOptions,
} from '@strata/config';
import { opsConfigSchema } from '@strata/ops';
import { z } from 'zod';

const core = z.object({
  id: z.string().min(1),
  uri: z
    .string()
    .regex(/^sip:[^@\s]+$/, 'a SIP URI without user part, e.g. sip:10.0.0.5:5070;transport=udp'),
  weight: z.number().int().min(1).default(1),
});

export const edgeConfigSchema = z.object({
  nodeId: z.string().min(1).default('edge-1'),
  logLevel: logLevelSchema,
  listen: z
    .array(listenerSchema)
    .min(1)
    .default([
      { transport: 'udp', host: '127.0.0.1', port: 5060 },
      { transport: 'tcp', host: '127.0.0.1', port: 5060 },
    ]),
  /** SO_RCVBUF / SO_SNDBUF of the UDP listeners (default receive buffer 4 MiB; @strata/config) */
  udp: udpSocketSchema,
  /** domains we serve; initial requests for other domains from untrusted sources get 403 */
  domains: z.array(z.string()).default(['localhost', '127.0.0.1']),
  cores: z
    .array(core)
    .min(1)
    .default([{ id: 'core-1', uri: 'sip:127.0.0.1:5070', weight: 1 }]),
  ring: z
    .object({
      vnodes: z.number().int().min(1).max(1000).default(40),
      /** 'immediate': a returning core takes its share back at once; 'new-calls-only': in-dialog requests keep going to the survivor for rejoinGraceMs (needs store: redis on the cores) */
      rejoin: z.enum(['immediate', 'new-calls-only']).default('immediate'),
      rejoinGraceMs: z.number().int().min(0).default(3_600_000),
    })
    .default({}),
  health: z
    .object({
      intervalMs: z.number().int().min(50).default(1000),
      timeoutMs: z.number().int().min(20).default(800),
      downAfter: z.number().int().min(1).default(3),
      upAfter: z.number().int().min(1).default(2),
    })
    .default({}),
  protection: z
    .object({
      rateLimit: z
        .object({
          enabled: z.boolean().default(true),
          ratePerSecond: z.number().positive().default(200),
          burst: z.number().positive().default(400),
          maxSources: z.number().int().positive().default(100_000),
          /** 'drop' (default: silence towards floods) or 'reject' (503) */
          action: z.enum(['drop', 'reject']).default('drop'),
        })
        .default({}),
      /** sources exempt from rate limits and relay checks (carriers, the cores themselves) */
      trusted: z.array(z.string()).default([]),
      userAgentBlocklist: z
        .array(z.string())
        .default([
          'friendly-scanner',
          'sipvicious',
          'sipcli',
          'sip-scan',
          'sipsak',
          'iWar',
          'VaxSIPUserAgent',
          'PortSIP VoIP SDK',
          'sundayddr',
          'smap',
        ]),
      /** refuse to relay initial requests for foreign domains from untrusted sources */
      noOpenRelay: z.boolean().default(true),
    })
    .default({}),
  auth: digestAuthSchema
    .extend({
      methods: z.array(z.string()).default(['INVITE', 'REGISTER']),
      /**
       * Vouch to the cores for requests this edge authenticated: `X-Strata-Auth` signed with
       * this secret (the cores' `registrar.auth.edgeAssertion.secret`); clients' copies are
       * always removed. Absent: nothing added.
       */
      edgeAssertion: z.object({ secret: z.string().min(16) }).optional(),
    })
    .default({}),
  /**
   * #12 security defaults: brute-force and scanner bans, shared through Redis when
   * `security.redis` (or else `auth.redis`) is set, in memory otherwise.
   */
  security: z
    .object({
      bans: z
        .object({
          enabled: z.boolean().default(true),
          /** failed digest attempts from one source within windowSeconds → ban */
          maxFailures: z.number().int().min(1).default(10),
          windowSeconds: z.number().positive().default(60),
          banSeconds: z.number().positive().default(600),
          /** a source whose User-Agent matches protection.userAgentBlocklist is banned too */
          banScanners: z.boolean().default(true),
          /** failures against one user (any source) within windowSeconds → logged warning */
          userMaxFailures: z.number().int().min(1).default(50),
          maxTracked: z.number().int().positive().default(100_000),
        })
        .default({}),
      redis: redisEndpointSchema.optional(),
    })
    .default({}),
  /** Server header on responses the edge generates; empty (default) = none (no fingerprint) */
  serverHeader: z.string().default(''),
  /** worker processes sharing the listening ports (node:cluster); 1 = a single process */
  workers: z.number().int().min(1).max(64).default(1),
  /**
   * Graceful drain (SIGTERM, POST /admin/drain): /ready turns 503 at once; after
   * graceSeconds new initial requests get 503; after lingerSeconds more the process exits 0
   * (in-dialog requests are forwarded until then).
   */
  drain: z
    .object({
      graceSeconds: z.number().min(0).default(5),
      lingerSeconds: z.number().min(0).default(10),
    })
    .default({}),
  ...opsConfigSchema,
  /** HTTP status endpoint: /health, /ready, /stats, /metrics, /admin/ (loopback by default; port 0 = any free port) */
  status: z
    .object({
      enabled: z.boolean().default(true),
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(9060),
    })
    .default({}),
  /** Max-Forwards added when a request has none (RFC 3261 §16.6 item 3) */
  maxForwards: z.number().int().min(1).max(255).default(70),
});

export type EdgeConfig = z.infer<typeof edgeConfigSchema>;

export function loadEdgeConfig(options: LoadOptions = {}): EdgeConfig {
  return loadConfig(edgeConfigSchema, options);
}
