/**
 * Pure state transitions of a dialog as a dialog-stateful proxy observes it
 * (RFC 3261 §12). Each returns a new DialogState with `version + 1`; the tracker does the
 * I/O. Keeping them pure keeps DialogState plain data (ARCHITECTURE §2).
 */
import { readSessionExpires, type SipResponse } from '@strata/parser';
import { contactUri, recordRouteValues } from '../sip/message-info.js';
import { routeSetsFromRecordRoute } from '../sip/route-set.js';
import type { DialogSideName } from '../sip/side.js';
import { dialogId } from '../state/dialog-id.js';
import type {
  DialogState,
  HangupParty,
  SessionTimer,
  SourceAddress,
} from '../state/dialog-state.js';

function bumped(s: DialogState, patch: Partial<DialogState>): DialogState {
  return { ...s, ...patch, version: s.version + 1 };
}

/**
 * RFC 3261 §12.1: "Within this specification, only 2xx and 101-199 responses with a To
 * tag, where the request was INVITE, will establish a dialog." The early dialog of one
 * To tag, derived from the INVITE attempt (or a sibling fork: callee fields are reset).
 * Its route sets and the callee's remote target come from the response (§12.1.2).
 */
export function earlyDialogFor(
  base: DialogState,
  res: SipResponse,
  toTag: string,
  source: SourceAddress | null,
): DialogState {
  const routes = routeSetsFromRecordRoute(recordRouteValues(res));
  return {
    ...base,
    id: dialogId(base.callId, base.fromTag, toTag),
    toTag,
    state: 'early',
    caller: { ...base.caller, routeSet: routes.caller },
    callee: {
      ...base.callee,
      contact: contactUri(res),
      cseq: 0,
      routeSet: routes.callee,
      source,
      onHold: false,
      keepaliveFailures: 0,
    },
    // a fresh record in the store: its own version line starts over
    version: 1,
  };
}

export interface ConfirmOptions {
  readonly now: number;
  /** 0 = keep-alives off. */
  readonly keepaliveIntervalMs: number;
}

/**
 * A 2xx confirms the dialog (RFC 3261 §12.1, §13.2.2.4). The route set is recomputed from
 * the 2xx: §12.2.1.2 "the route set … MUST be recomputed based on the 2xx response" when
 * the dialog was early. The max-duration timer is re-based on the answer time: while
 * early, `maxDurationAt − createdAt` is the allowed duration (see `CallOptions`).
 */
export function confirmDialog(
  s: DialogState,
  res: SipResponse,
  source: SourceAddress | null,
  options: ConfirmOptions,
): DialogState {
  const { now } = options;
  const routes = routeSetsFromRecordRoute(recordRouteValues(res));
  const maxDurationAt =
    s.timers.maxDurationAt === null ? null : now + (s.timers.maxDurationAt - s.createdAt);
  const session = sessionTimerOf(res);
  return bumped(s, {
    state: 'confirmed',
    answeredAt: now,
    caller: { ...s.caller, routeSet: routes.caller },
    callee: {
      ...s.callee,
      contact: contactUri(res) ?? s.callee.contact,
      routeSet: routes.callee,
      source: source ?? s.callee.source,
    },
    timers: {
      keepaliveDueAt: options.keepaliveIntervalMs > 0 ? now + options.keepaliveIntervalMs : null,
      sessionExpiresAt: session === null ? null : now + session.expiresSec * 1000,
      maxDurationAt,
      earlyTimeoutAt: null,
    },
    sessionTimer: session,
    disposition: { ...s.disposition, finalStatus: res.status },
  });
}

/**
 * RFC 4028 §7.4/§9: the 2xx carries the negotiated Session-Expires and the refresher;
 * "If the 2xx response did not contain a Session-Expires header field, there is no
 * session expiration." A malformed header counts as none.
 */
export function sessionTimerOf(res: SipResponse): SessionTimer | null {
  try {
    const se = readSessionExpires(res.headers);
    if (se === null || se.seconds === 0) return null;
    return { expiresSec: se.seconds, refresher: se.refresher ?? 'uas' };
  } catch {
    return null;
  }
}

/**
 * RFC 4028 §10: a successful session refresh (2xx to re-INVITE or UPDATE) restarts the
 * session timer. "If no session refresh request is received [by the expiration] … the
 * UA … SHOULD send a BYE" — the proxy, as a backstop for UAs that do not, ends the
 * dialog at the full interval (the UAs themselves BYE min(32, SE/3) s earlier, §10).
 */
export function refreshSession(s: DialogState, res: SipResponse, now: number): DialogState {
  const session = sessionTimerOf(res);
  return bumped(s, {
    sessionTimer: session,
    timers: {
      ...s.timers,
      sessionExpiresAt: session === null ? null : now + session.expiresSec * 1000,
    },
  });
}

/** The sender of a target refresh request replaces its remote target (RFC 3261 §12.2.2). */
export function withSideUpdate(
  s: DialogState,
  side: DialogSideName,
  patch: Partial<DialogState['caller']>,
): DialogState {
  return bumped(s, { [side]: { ...s[side], ...patch } });
}

/** The terminated state the CDR is built from. */
export function terminateDialog(
  s: DialogState,
  party: HangupParty,
  now: number,
  reason: string | null,
  finalStatus: number | null = s.disposition.finalStatus,
): DialogState {
  return bumped(s, {
    state: 'terminated',
    endedAt: now,
    timers: {
      keepaliveDueAt: null,
      sessionExpiresAt: null,
      maxDurationAt: null,
      earlyTimeoutAt: null,
    },
    disposition: { finalStatus, hangupParty: s.disposition.hangupParty ?? party, reason },
  });
}

/** Same, but the given party overrides one recorded earlier (e.g. by a CANCEL). */
export function terminateDialogBy(
  s: DialogState,
  party: HangupParty,
  now: number,
  reason: string | null,
): DialogState {
  return terminateDialog(
    { ...s, disposition: { ...s.disposition, hangupParty: party } },
    party,
    now,
    reason,
  );
}
