/**
 * @strata/transaction: RFC 3261 §17 transactions (with RFC 6026) and the
 * stateful proxy core of §16.
 */
export { TransactionError, type TransactionErrorCode } from './errors.js';
export {
  systemTimers,
  resolveTimerConfig,
  type TimerHost,
  type TimerHandle,
  type TimerConfig,
} from './timers.js';
export {
  clientKey,
  clientKeyOfResponse,
  serverKey,
  serverKeyOfRequest,
  inviteKeyOfCancel,
  rfc2543Key,
  sentByOf,
  topViaOf,
  isRfc3261Branch,
} from './keys.js';
export {
  NoopClientUser,
  NoopServerUser,
  NOOP_CLIENT_USER,
  NOOP_SERVER_USER,
  type ClientTransactionUser,
  type ServerTransactionUser,
} from './user.js';
export type { ClientTransaction, ServerTransaction, AnyTransaction } from './transaction.js';
export { InviteClientTransaction, type InviteClientState } from './invite-client.js';
export { NonInviteClientTransaction, type NonInviteClientState } from './non-invite-client.js';
export { InviteServerTransaction, type InviteServerState } from './invite-server.js';
export { NonInviteServerTransaction, type NonInviteServerState } from './non-invite-server.js';
export { buildAck, buildCancel } from './requests.js';
export {
  TransactionLayer,
  type TransactionLayerOptions,
  type RequestHandler,
  type StrayResponseHandler,
  type SendRequestOptions,
} from './layer.js';
export { StatefulProxy } from './proxy/stateful-proxy.js';
export { ResponseContext } from './proxy/response-context.js';
export type {
  ProxyTarget,
  RouteDecision,
  Router,
  FailureContext,
  FailureHook,
  RecordRouteHook,
  UpstreamObserver,
  StatefulProxyOptions,
} from './proxy/types.js';
export { selectBestResponse, upstreamStatus } from './proxy/best-response.js';
export {
  loopHash,
  loopBranch,
  loopHashOfBranch,
  statelessBranch,
  type StatelessBranchOptions,
} from './proxy/branch-id.js';
export {
  forwardRequestStatelessly,
  forwardResponseStatelessly,
  responseDestination,
  statelessVia,
} from './proxy/stateless.js';
export { applyTarget, copyRequest, groupByQ } from './proxy/forward.js';
export {
  LoopNetwork,
  LoopTransport,
  ManualTimers,
  type LoopConditions,
  type LoopTraceEntry,
  type FailurePredicate,
} from './testing/index.js';
