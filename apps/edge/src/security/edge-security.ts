/**
 * The edge's security state (#12): the ban list, what feeds it (failed digest
 * attempts, scanners), and what an operator sees (one log line per ban,
 * counters). In a cluster worker, `delegate` is set: reports go to the primary
 * over IPC, which counts for all workers, decides and relays bans back.
 */
import type { Logger } from 'pino';
import type { EdgeConfig } from '../config.js';
import { BanList } from './ban-list.js';

export type SecurityReport =
  { t: 'fail'; address: string; user?: string } | { t: 'scanner'; address: string };

export class EdgeSecurity {
  readonly bans: BanList;
  readonly enabled: boolean;
  private readonly banScanners: boolean;
  private readonly banMs: number;
  /** cluster worker: reports go to the primary instead of the local list */
  delegate: ((r: SecurityReport) => void) | null = null;

  constructor(
    config: EdgeConfig,
    isTrusted: (address: string) => boolean,
    private readonly logger: Logger,
    now: () => number = Date.now,
  ) {
    const b = config.security.bans;
    this.enabled = b.enabled;
    this.banScanners = b.banScanners;
    this.banMs = b.banSeconds * 1000;
    this.bans = new BanList({
      maxFailures: b.maxFailures,
      windowMs: b.windowSeconds * 1000,
      banMs: this.banMs,
      userMaxFailures: b.userMaxFailures,
      maxTracked: b.maxTracked,
      isExempt: isTrusted,
      now,
    });
    this.bans.onChange((e, local) => {
      if (e.t === 'ban' && local)
        logger.warn(
          {
            address: e.entry.address,
            reason: e.entry.reason,
            seconds: Math.round((e.entry.until - e.entry.since) / 1000),
          },
          'source banned',
        );
      else if (e.t === 'ban') logger.debug({ address: e.entry.address }, 'ban applied from a peer');
      else if (local) logger.info({ address: e.address }, 'ban lifted');
    });
    this.bans.onUserAttacked((user, failures) =>
      logger.warn(
        { user, failures, windowSeconds: b.windowSeconds },
        'many failed authentications for one user',
      ),
    );
  }

  /** Hot path, first thing per message. */
  isBanned(address: string): boolean {
    return this.enabled && this.bans.isBanned(address);
  }

  authFailure(address: string, user: string | undefined): void {
    if (!this.enabled) return;
    this.report(user !== undefined ? { t: 'fail', address, user } : { t: 'fail', address });
  }

  scanner(address: string): void {
    if (!this.enabled || !this.banScanners) return;
    this.report({ t: 'scanner', address });
  }

  /** Decide here (single process, or the primary for its workers). */
  handle(r: SecurityReport): void {
    if (r.t === 'fail') this.bans.recordFailure(r.address, r.user);
    else this.bans.ban(r.address, this.banMs, 'scanner');
  }

  private report(r: SecurityReport): void {
    if (this.delegate !== null) this.delegate(r);
    else this.handle(r);
  }
}

/** Where shared state lives: `security.redis`, else `auth.redis`, else nowhere (memory). */
export function securityRedis(config: EdgeConfig): EdgeConfig['security']['redis'] {
  return config.security.redis ?? config.auth.redis;
}
