// Public API of the SIP-message-driven dialog layer (tracking, timers, originated requests).
export { DialogTracker, type RequestContext } from './tracker/dialog-tracker.js';
export {
  DEFAULT_TRACKER_SETTINGS,
  type CallOptions,
  type DialogTrackerOptions,
  type ProfileLimit,
  type ResolvedTrackerSettings,
} from './tracker/tracker-options.js';
export type { RequestVerdict } from './tracker/verdicts.js';
export type { DialogEvent, DialogEventListener } from './tracker/events.js';
export type { DialogMetrics } from './tracker/metrics.js';
export { applyInDialogRequest, type InDialogOutcome } from './tracker/in-dialog-request.js';
export {
  applyInDialogResponse,
  type PendingRequest,
  type ResponseOutcome,
} from './tracker/in-dialog-response.js';
export {
  confirmDialog,
  earlyDialogFor,
  refreshSession,
  sessionTimerOf,
  terminateDialog,
  terminateDialogBy,
  type ConfirmOptions,
} from './tracker/transitions.js';
export { dueAction, type DueAction } from './timers/due-action.js';

export {
  isKeepaliveFailure,
  type DialogRequestSender,
  type OutboundTarget,
  type SendOutcome,
} from './ports/request-sender.js';
export {
  MAX_TIMER_DELAY_MS,
  systemTimerClock,
  type TimerClock,
  type TimerHandle,
} from './ports/timer-clock.js';

export {
  buildInDialogRequest,
  type BuiltRequest,
  type InDialogRequestOptions,
} from './originate/build-in-dialog-request.js';
export { buildHoldReinvite } from './originate/hold-request.js';
export { buildRefer } from './originate/refer-request.js';

export { otherSide, type DialogSideName } from './sip/side.js';
export {
  ownRouteMatcher,
  routeSetsFromRecordRoute,
  routeToward,
  type OwnRoutePredicate,
  type RouteSets,
} from './sip/route-set.js';
export {
  isSdpBody,
  offerHolds,
  summarizeSdp,
  withDirection,
  type MediaDirection,
  type SdpMediaSummary,
} from './sip/sdp-hold.js';
export { isReferEvent, isSipfrag, sipfragStatus } from './sip/sipfrag.js';
export { contactUri } from './sip/message-info.js';
