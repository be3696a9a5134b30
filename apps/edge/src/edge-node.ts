/**
 * EdgeNode: wires one transport to the ring, the probes, the protections and
 * the forwarder. Construction is pure; start() begins probing.
 */
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { MessageSource } from '@strata/transport';
import type { SipMessage } from '@strata/parser';
import { AllowList } from './cidr.js';
import type { EdgeConfig } from './config.js';
import { CoreAddressResolver } from './core-resolver.js';
import { CoreProber } from './core-prober.js';
import {
  EdgeAssertion,
  openCredentialSource,
  StatelessDigest,
  type OpenedCredentials,
  type ReplayGuard,
} from '@strata/auth';
import { FlowTokens } from './flow-token.js';
import { EdgeForwarder, type EdgeTransport, type LocalAddress } from './forwarder.js';
import { TokenBucketLimiter } from './rate-limiter.js';
import { CoreRing, type CoreNode } from './ring.js';
import { EdgeSecurity, type SecurityReport } from './security/edge-security.js';
import { sharedSecurity, type SharedSecurity } from './security/shared.js';
import { EdgeStats } from './stats.js';

export class EdgeNode {
  readonly ring: CoreRing;
  readonly stats = new EdgeStats();
  readonly prober: CoreProber;
  readonly forwarder: EdgeForwarder;
  readonly limiter: TokenBucketLimiter | null;
  /** cores configured by name get their IP here, off the hot path */
  readonly resolver: CoreAddressResolver;
  /** #12 bans (brute force, scanners) */
  readonly security: EdgeSecurity;
  private readonly shared: SharedSecurity | null = null;
  private unsubscribe: (() => void) | null = null;
  private credentials: OpenedCredentials | null = null;

  constructor(
    readonly config: EdgeConfig,
    readonly transport: EdgeTransport,
    readonly logger: Logger,
    locals: readonly LocalAddress[],
    /** where probes are sent from (default: the forwarding transport); main.ts gives a dedicated one */
    probeTransport: EdgeTransport = transport,
    /**
     * Cluster worker: the primary decides bans (reports go to it over IPC) and owns the
     * (nonce, nc) replay set. Absent: this process decides, sharing through Redis when set.
     */
    worker?: { report: (r: SecurityReport) => void; replay: ReplayGuard },
  ) {
    const log = logger.child({ component: 'edge' });
    this.ring = new CoreRing(config.cores.map(parseCore), {
      vnodes: config.ring.vnodes,
      rejoin: config.ring.rejoin,
      rejoinGraceMs: config.ring.rejoinGraceMs,
    });
    this.prober = new CoreProber(
      this.ring,
      probeTransport,
      { ...config.health, nodeId: config.nodeId },
      logger.child({ component: 'prober' }),
    );
    const rl = config.protection.rateLimit;
    const trusted = [...config.protection.trusted];
    const trustedList = new AllowList(trusted);
    this.security = new EdgeSecurity(
      config,
      (a) => trustedList.has(a),
      logger.child({ component: 'security' }),
    );
    let replay: ReplayGuard;
    if (worker !== undefined) {
      this.security.delegate = worker.report;
      replay = worker.replay;
    } else {
      this.shared = sharedSecurity(config, this.security.bans, log);
      replay = this.shared.replay;
    }
    this.limiter = rl.enabled
      ? new TokenBucketLimiter({
          ratePerSecond: rl.ratePerSecond,
          burst: rl.burst,
          maxSources: rl.maxSources,
        })
      : null;
    this.forwarder = new EdgeForwarder({
      transport,
      ring: this.ring,
      prober: this.prober,
      stats: this.stats,
      logger: log,
      flows: new FlowTokens(),
      limiter: this.limiter,
      limitAction: rl.action,
      trusted: trustedList,
      scannerAgents: config.protection.userAgentBlocklist.map((s) => s.toLowerCase()),
      domains: config.protection.noOpenRelay
        ? new Set(config.domains.map((d) => d.toLowerCase()))
        : null,
      digest: config.auth.enabled ? this.makeDigest(config, replay) : null,
      assertion:
        config.auth.enabled && config.auth.edgeAssertion !== undefined
          ? new EdgeAssertion(config.auth.edgeAssertion)
          : null,
      authMethods: new Set(config.auth.methods.map((m) => m.toUpperCase())),
      locals,
      branchSalt: config.nodeId,
      maxForwards: config.maxForwards,
      security: this.security,
      serverHeader: config.serverHeader,
    });
    this.resolver = new CoreAddressResolver(this.ring.allNodes(), {
      intervalMs: CORE_RESOLVE_INTERVAL_MS,
      timeoutMs: CORE_RESOLVE_TIMEOUT_MS,
      onChange: () => this.forwarder.refreshCoreAddresses(),
      logger: log,
    });
  }

  /**
   * Begin forwarding and, unless `probe` is false, probing the cores. Cluster
   * workers do not probe: the primary probes once for all of them and pushes
   * up/down over IPC (`ring.setUp`), so every worker sees the same ring.
   */
  start(options: { probe?: boolean } = {}): void {
    this.unsubscribe = this.transport.onMessage((msg: SipMessage, source: MessageSource) =>
      this.forwarder.handle(msg, source),
    );
    this.resolver.start();
    if (options.probe !== false) this.prober.start();
    void this.shared?.start();
  }

  /** This process's forwarding counters (plain numbers, see README "Status endpoint"). */
  counters(): EdgeCounters {
    return {
      forwarder: this.stats.snapshot(),
      rateLimiter: { trackedSources: this.limiter?.trackedSources ?? 0 },
    };
  }

  stop(): void {
    this.resolver.stop();
    this.prober.stop();
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.shared?.stop();
    this.credentials?.close();
  }

  /** The digest verifier over the users file or Redis hash the config names (@strata/auth). */
  private makeDigest(config: EdgeConfig, replay: ReplayGuard): StatelessDigest {
    const a = config.auth;
    if (a.secret === undefined)
      throw new Error('auth.secret is required when auth.enabled (shared by all edge nodes)');
    this.credentials = openCredentialSource(a);
    return new StatelessDigest(
      {
        realm: a.realm,
        secret: a.secret,
        algorithms: a.algorithms,
        nonceTtlSeconds: a.nonceTtlSeconds,
        replay,
      },
      this.credentials.source,
    );
  }
}

/** how often cores configured by hostname are looked up again (a recreated container's new IP) */
export const CORE_RESOLVE_INTERVAL_MS = 5_000;
export const CORE_RESOLVE_TIMEOUT_MS = 3_000;

export interface EdgeCounters {
  forwarder: ReturnType<EdgeStats['snapshot']>;
  rateLimiter: { trackedSources: number };
}

export function parseCore(c: EdgeConfig['cores'][number]): CoreNode {
  // sip:host[:port][;transport=x]
  const m = /^sip:(\[[^\]]+\]|[^:;]+)(?::(\d+))?(?:;(.*))?$/.exec(c.uri);
  if (m === null) throw new Error(`core ${c.id}: bad uri ${c.uri}`);
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  const t = /(?:^|;)transport=(\w+)/i.exec(m[3] ?? '')?.[1]?.toLowerCase();
  const transport = t === 'tcp' || t === 'tls' ? t : 'udp';
  return {
    id: c.id,
    transport,
    address: host,
    ...(isIP(host) === 0 ? { host } : {}),
    port: m[2] !== undefined ? Number(m[2]) : 5060,
    weight: c.weight,
  };
}
