import type { Logger } from 'pino';
import type { CdrWriter } from '../cdr/cdr-writer.js';
import type { DialogRequestSender } from '../ports/request-sender.js';
import type { TimerClock } from '../ports/timer-clock.js';
import type { CallProfiles } from '../profiles/call-profiles.js';
import type { OwnRoutePredicate } from '../sip/route-set.js';
import type { DialogStore } from '../store/dialog-store.js';

export interface DialogTrackerOptions {
  /** This core node's name (DialogState.ownerNode, lease holder). */
  readonly node: string;
  readonly store: DialogStore;
  /** Port for requests the layer originates (BYE, OPTIONS, re-INVITE, REFER). */
  readonly sender: DialogRequestSender;
  /** Writes each call's CDR once; null = no CDRs. */
  readonly cdr?: CdrWriter | null;
  /** Concurrency profiles; needed when routes pass `profiles`. */
  readonly profiles?: CallProfiles | null;
  readonly clock?: TimerClock;
  readonly logger?: Logger;
  /** Recognises this proxy's own Record-Route entries (see `ownRouteMatcher`). */
  readonly isOwnRoute?: OwnRoutePredicate;
  /** In-dialog OPTIONS interval towards both ends; 0 = off. Default 30 s. */
  readonly keepaliveIntervalMs?: number;
  /** Consecutive failed probes (per side) that end the dialog. Default 2. */
  readonly keepaliveFailures?: number;
  /** Default early-dialog timeout (no final response); 0 = off. Default 180 s. */
  readonly earlyTimeoutMs?: number;
  /**
   * Lease TTL per dialog (store time). The owner renews it at a third of the TTL and on
   * every timer; another node can adopt the dialog once it lapses. Default 60 s.
   */
  readonly leaseTtlMs?: number;
  /** Response to an INVITE over a profile limit: 486 Busy Here or 503. Default 486. */
  readonly profileLimitStatus?: 486 | 503;
}

/** A concurrency limit the route applies to the call. */
export interface ProfileLimit {
  readonly key: string;
  readonly limit: number;
}

/** Per-call settings chosen by the route (ARCHITECTURE §4). */
export interface CallOptions {
  /** Max call duration from answer; null/absent = off (default). */
  readonly maxDurationMs?: number | null;
  /** Overrides the tracker's early-dialog timeout; 0 = off. */
  readonly earlyTimeoutMs?: number;
  readonly profiles?: readonly ProfileLimit[];
}

export interface ResolvedTrackerSettings {
  readonly keepaliveIntervalMs: number;
  readonly keepaliveFailures: number;
  readonly earlyTimeoutMs: number;
  readonly leaseTtlMs: number;
  readonly profileLimitStatus: 486 | 503;
}

export const DEFAULT_TRACKER_SETTINGS: ResolvedTrackerSettings = {
  keepaliveIntervalMs: 30_000,
  keepaliveFailures: 2,
  earlyTimeoutMs: 180_000,
  leaseTtlMs: 60_000,
  profileLimitStatus: 486,
};

export function resolveSettings(o: DialogTrackerOptions): ResolvedTrackerSettings {
  const d = DEFAULT_TRACKER_SETTINGS;
  return {
    keepaliveIntervalMs: o.keepaliveIntervalMs ?? d.keepaliveIntervalMs,
    keepaliveFailures: Math.max(1, o.keepaliveFailures ?? d.keepaliveFailures),
    earlyTimeoutMs: o.earlyTimeoutMs ?? d.earlyTimeoutMs,
    leaseTtlMs: o.leaseTtlMs ?? d.leaseTtlMs,
    profileLimitStatus: o.profileLimitStatus ?? d.profileLimitStatus,
  };
}
