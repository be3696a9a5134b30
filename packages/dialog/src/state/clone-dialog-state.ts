import type {
  DialogPhase,
  DialogSide,
  DialogState,
  Refresher,
  SourceAddress,
  TransportProtocol,
} from './dialog-state.js';
import { StringPool } from './string-pool.js';

/** Route entries and node names repeat across dialogs: keep one copy of each. */
const shared = new StringPool();

// Enumerated values map back to the (interned) literals instead of per-dialog copies.
const PHASES: Readonly<Record<DialogPhase, DialogPhase>> = {
  early: 'early',
  confirmed: 'confirmed',
  terminated: 'terminated',
};
const TRANSPORTS: Readonly<Record<TransportProtocol, TransportProtocol>> = {
  udp: 'udp',
  tcp: 'tcp',
  tls: 'tls',
  ws: 'ws',
  wss: 'wss',
};
const REFRESHERS: Readonly<Record<Refresher, Refresher>> = { uac: 'uac', uas: 'uas' };

function cloneSource(s: SourceAddress | null): SourceAddress | null {
  return s === null
    ? null
    : { host: s.host, port: s.port, transport: TRANSPORTS[s.transport] ?? s.transport };
}

/** Most calls count in no profile: share one frozen empty list. */
const NO_KEYS: readonly string[] = Object.freeze([]);

function freezeKeys(keys: readonly string[] | undefined): readonly string[] {
  if (keys === undefined || keys.length === 0) return NO_KEYS;
  return Object.freeze(keys.map((k) => shared.intern(k)));
}

function cloneSide(s: DialogSide): DialogSide {
  return Object.freeze({
    uri: s.uri,
    contact: s.contact,
    cseq: s.cseq,
    routeSet: Object.freeze(s.routeSet.map((r) => shared.intern(r))),
    source: s.source === null ? null : Object.freeze(cloneSource(s.source)),
    onHold: s.onHold,
    keepaliveFailures: s.keepaliveFailures,
  });
}

/**
 * A deep, frozen copy with a fixed field order. Stores keep this copy so a caller
 * mutating its own object (or extra fields it added) can never change stored state,
 * and readers may share the frozen copy without cloning again.
 * Listing every field (instead of structuredClone) keeps one hidden class and is faster.
 */
export function freezeDialogState(s: DialogState): DialogState {
  return Object.freeze({
    id: s.id,
    callId: s.callId,
    fromTag: s.fromTag,
    toTag: s.toTag,
    state: PHASES[s.state] ?? s.state,
    caller: cloneSide(s.caller),
    callee: cloneSide(s.callee),
    createdAt: s.createdAt,
    answeredAt: s.answeredAt,
    endedAt: s.endedAt,
    ownerNode: shared.intern(s.ownerNode),
    version: s.version,
    timers: Object.freeze({
      keepaliveDueAt: s.timers.keepaliveDueAt,
      sessionExpiresAt: s.timers.sessionExpiresAt,
      maxDurationAt: s.timers.maxDurationAt,
      earlyTimeoutAt: s.timers.earlyTimeoutAt,
    }),
    sessionTimer:
      s.sessionTimer === null
        ? null
        : Object.freeze({
            expiresSec: s.sessionTimer.expiresSec,
            refresher: REFRESHERS[s.sessionTimer.refresher] ?? s.sessionTimer.refresher,
          }),
    // `?? null` / `?? NO_KEYS`: states written before these fields existed still load.
    transfer: Object.freeze({
      referredBy: s.transfer.referredBy,
      replaces: s.transfer.replaces,
      replacedBy: s.transfer.replacedBy ?? null,
      referTo: s.transfer.referTo ?? null,
      referStatus: s.transfer.referStatus ?? null,
    }),
    disposition: Object.freeze({
      finalStatus: s.disposition.finalStatus,
      hangupParty: s.disposition.hangupParty,
      reason: s.disposition.reason,
    }),
    profileKeys: freezeKeys(s.profileKeys),
  });
}
