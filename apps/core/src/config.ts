/**
 * Core configuration schema: listeners, store, registrar, media-server groups,
 * hunt groups and the route table (ARCHITECTURE.md §4: a mode per route).
 */
import {
  listenerSchema,
  loadConfig,
  logLevelSchema,
  redisEndpointSchema,
  udpSocketSchema,
  type LoadOptions,
} from '@strata/config';
import { opsConfigSchema } from '@strata/ops';
import { z } from 'zod';
import { actionsConfigSchema } from './actions/actions-config.js';
import { routePoliciesSchema } from './actions/route-policy-config.js';
import { eventsConfigSchema } from './events/events-config.js';
import { featuresConfigSchema } from './features/features-config.js';
import { forwardingSchema } from './forwarding/forwarding-config.js';
import { lcrSchema } from './lcr/lcr-config.js';
import { registrarAuthSchema } from './registrar/auth-config.js';

const sipUri = z.string().regex(/^sips?:\S+$/, 'a SIP URI, e.g. sip:10.0.0.5:5080');

const redisSchema = redisEndpointSchema
  .extend({
    db: z.number().int().min(0).default(0),
    sentinels: z.array(z.object({ host: z.string(), port: z.number().int() })).optional(),
    sentinelName: z.string().optional(),
    cluster: z.array(z.object({ host: z.string(), port: z.number().int() })).optional(),
  })
  .default({});

const probeSchema = z
  .object({
    /** OPTIONS probes to every server of the group (Kamailio dispatcher probing) */
    enabled: z.boolean().default(true),
    intervalMs: z.number().int().min(50).default(2000),
    timeoutMs: z.number().int().min(20).default(1500),
    downAfter: z.number().int().min(1).default(2),
    upAfter: z.number().int().min(1).default(2),
  })
  .default({});

export const mediaGroupSchema = z.object({
  /** Kamailio dispatcher-like algorithms */
  algorithm: z
    .enum(['hash-callid', 'round-robin', 'weighted', 'least-active'])
    .default('hash-callid'),
  targets: z.array(z.object({ uri: sipUri, weight: z.number().int().min(1).default(1) })).min(1),
  probe: probeSchema,
  /** statuses after which the call fails over to the next server (plus timeouts, RFC 3261 §16.7 408) */
  failoverOn: z.array(z.number().int().min(300).max(699)).default([500, 502, 503, 504, 408]),
});

export const huntGroupSchema = z.object({
  strategy: z.enum(['parallel', 'sequential', 'weighted']).default('sequential'),
  /** per member, for sequential/weighted */
  ringSeconds: z.number().int().min(1).default(15),
  members: z
    .array(z.object({ target: z.string().min(1), weight: z.number().int().min(1).default(1) }))
    .min(1),
});

const targetSchema = z.union([
  z.object({ registrar: z.literal(true) }),
  z.object({ uri: sipUri }),
  z.object({ mediaGroup: z.string() }),
  z.object({ huntGroup: z.string() }),
  /** least-cost routing over a rate table (true: the table named "default") */
  z.object({ lcr: z.union([z.literal(true), z.string()]) }),
]);

export const routeSchema = z
  .object({
    name: z.string().min(1),
    match: z
      .object({
        methods: z.array(z.string()).optional(),
        /** regular expression over the Request-URI user part */
        user: z.string().optional(),
        /** Request-URI user starts with one of these (dialled prefix) */
        prefix: z.array(z.string()).optional(),
        domain: z.array(z.string()).optional(),
        /** source addresses (CIDR) */
        source: z.array(z.string()).optional(),
        /** header name → regular expression over its first value */
        headers: z.record(z.string()).optional(),
      })
      .default({}),
    /** omitted: dialog for INVITE, transaction for other requests (ARCHITECTURE.md §4) */
    mode: z.enum(['stateless', 'transaction', 'dialog']).optional(),
    /** alternatives tried in order: the first that yields targets is used */
    targets: z.array(targetSchema).min(1),
    /** per-route call limit (0 = off) */
    maxDurationSeconds: z.number().int().min(0).default(0),
    /** per-route limit on ringing (omitted → dialog.earlyTimeoutSeconds); then CANCEL + 408 */
    earlyTimeoutSeconds: z.number().int().min(1).optional(),
    /** concurrent-call profile key template, e.g. "account:${from.user}"; limit 0 = off */
    concurrency: z.object({ key: z.string(), limit: z.number().int().min(0) }).optional(),
    /** record the calls of this route (issue #14): X-Strata-Record on the INVITE to a media server */
    record: z.boolean().optional(),
    /** mid-call actions timed from the answer (issue #14, docs/call-control.md "Route policies") */
    policies: routePoliciesSchema,
  })
  // only the dialog layer knows when a call is answered and ends
  .refine((r) => (r.policies ?? []).length === 0 || r.mode === undefined || r.mode === 'dialog', {
    message: 'policies need a dialog-mode route (mode omitted or dialog)',
    path: ['policies'],
  });

export type RouteConfig = z.infer<typeof routeSchema>;
export type MediaGroupConfig = z.infer<typeof mediaGroupSchema>;
export type HuntGroupConfig = z.infer<typeof huntGroupSchema>;
export type TargetConfig = z.infer<typeof targetSchema>;

export const DEFAULT_ROUTES: RouteConfig[] = [
  {
    name: 'register',
    match: { methods: ['REGISTER'] },
    targets: [{ registrar: true }],
    maxDurationSeconds: 0,
  },
  {
    name: 'calls',
    match: { methods: ['INVITE', 'MESSAGE', 'SUBSCRIBE', 'OPTIONS'] },
    targets: [{ registrar: true }, { mediaGroup: 'media' }],
    maxDurationSeconds: 0,
  },
];

export const coreConfigSchema = z.object({
  nodeId: z.string().min(1).default('core-1'),
  logLevel: logLevelSchema,
  listen: z
    .array(listenerSchema)
    .min(1)
    .default([{ transport: 'udp', host: '127.0.0.1', port: 5070 }]),
  /** SO_RCVBUF / SO_SNDBUF of the UDP listeners (default receive buffer 4 MiB; @strata/config) */
  udp: udpSocketSchema,
  /** domains we are responsible for (registrar, Request-URI checks) */
  domains: z.array(z.string()).default(['localhost', '127.0.0.1']),
  store: z
    .object({
      kind: z.enum(['memory', 'redis']).default('memory'),
      redis: redisSchema,
    })
    .default({}),
  registrar: z
    .object({
      minExpires: z.number().int().min(1).default(60),
      maxExpires: z.number().int().min(1).default(3600),
      defaultExpires: z.number().int().min(1).default(3600),
      maxContacts: z.number().int().min(1).default(10),
      /** OPTIONS to registered UDP contacts (NAT keep-alive); 0 = off */
      natKeepaliveSeconds: z.number().int().min(0).default(30),
      /** a contact that misses this many keep-alives in a row is removed */
      natKeepaliveFailures: z.number().int().min(1).default(2),
      /** wait this long for the keep-alive's answer */
      natKeepaliveTimeoutMs: z.number().int().min(20).default(3000),
      /** digest authentication of REGISTER (off by default), see auth-config.ts */
      auth: registrarAuthSchema,
    })
    .default({}),
  mediaGroups: z.record(mediaGroupSchema).default({
    media: {
      algorithm: 'hash-callid',
      targets: [{ uri: 'sip:127.0.0.1:5080', weight: 1 }],
      // the embedded demo's stand-in, `sipp -sn uas -p 5080`, answers no OPTIONS: probing it
      // would mark it down within seconds (480). Groups a config defines probe by default.
      probe: { enabled: false },
      failoverOn: [500, 502, 503, 504, 408],
    },
  }),
  huntGroups: z.record(huntGroupSchema).default({}),
  routes: z.array(routeSchema).default(DEFAULT_ROUTES),
  dialog: z
    .object({
      keepaliveIntervalSeconds: z.number().int().min(0).default(30),
      keepaliveFailures: z.number().int().min(1).default(2),
      earlyTimeoutSeconds: z.number().int().min(1).default(180),
      maxDurationSeconds: z.number().int().min(0).default(0),
      leaseSeconds: z.number().int().min(1).default(30),
    })
    .default({}),
  transaction: z
    .object({
      t1Ms: z.number().int().min(1).default(500),
      t2Ms: z.number().int().min(1).default(4000),
      t4Ms: z.number().int().min(1).default(5000),
      timerCSeconds: z.number().int().min(181).default(181),
    })
    .default({}),
  cdr: z
    .object({
      /** JSON-lines file; empty = off */
      file: z.string().default('var/cdr.jsonl'),
      redisStream: z.boolean().default(false),
    })
    .default({}),
  maxForwards: z.number().int().min(1).max(255).default(70),
  /** NAT traversal for UAs talking to this core directly (behind the edge, its flow tokens do it) */
  nat: z
    .object({
      /** Contact host:port ≠ source of a dialog-forming request: add ;alias=addr~port~transport */
      aliasContact: z.boolean().default(true),
    })
    .default({}),
  /**
   * The cluster: the SIP addresses (host:port) of every core (this one may be listed too).
   * Their Record-Route entries count as our own, so a surviving core can take over a dead
   * one's in-dialog requests (failover).
   */
  cluster: z
    .object({
      peers: z.array(z.string()).default([]),
    })
    .default({}),
  /** graceful drain (SIGTERM, POST /admin/drain): wait for the last dialog at most this long, then exit 0 */
  drain: z
    .object({
      deadlineSeconds: z.number().int().min(0).default(60),
    })
    .default({}),
  /** least-cost routing: carriers, rate tables, number normalisation (issue #13) */
  lcr: lcrSchema,
  /** per-user call forwarding (issue #13) */
  forwarding: forwardingSchema,
  /** call events to a Redis Stream and/or a webhook (issue #14, docs/call-control.md) */
  events: eventsConfigSchema,
  /** mid-call actions (issue #14) */
  actions: actionsConfigSchema,
  /** DTMF-over-INFO feature codes (issue #14) */
  features: featuresConfigSchema,
  ...opsConfigSchema,
  /** HTTP status endpoint: /health, /ready, /stats, /metrics, /admin/ (loopback; port 0 = any free port) */
  status: z
    .object({
      enabled: z.boolean().default(true),
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(9070),
    })
    .default({}),
});

export type CoreConfig = z.infer<typeof coreConfigSchema>;

export function loadCoreConfig(options: LoadOptions = {}): CoreConfig {
  return loadConfig(coreConfigSchema, options);
}
