// Public API of the dialog data layer (state, store, CDR, profiles); wired into index.ts by the lead.
export type {
  DialogDisposition,
  DialogPhase,
  DialogSide,
  DialogState,
  DialogTimers,
  HangupParty,
  Refresher,
  SessionTimer,
  SourceAddress,
  TransferLinks,
  TransportProtocol,
} from './state/dialog-state.js';
export { callIdOfDialogId, dialogId } from './state/dialog-id.js';
export { createDialogState, type NewDialogInput } from './state/create-dialog-state.js';
export { freezeDialogState } from './state/clone-dialog-state.js';
export { lifetimeRemaining, nextDueAt } from './state/timers.js';
export { holdState, type HoldState } from './state/hold-state.js';

export type {
  DialogChange,
  DialogChangeListener,
  DialogFilter,
  DialogStore,
  StoreStatus,
  WriteResult,
} from './store/dialog-store.js';
export { DEFAULT_STORE_TIMINGS, type StoreTimings } from './store/store-timings.js';
export {
  MemoryDialogStore,
  type MemoryDialogStoreOptions,
  type MemoryEntry,
} from './store/memory-dialog-store.js';
export {
  RedisDialogStore,
  type RedisDialogStoreOptions,
  type StoreStatusListener,
} from './store/redis-dialog-store.js';
export { RedisKeys } from './store/redis-keys.js';
export type { LagStats } from './store/lag-stats.js';

export type { CdrDisposition, CdrRecord } from './cdr/cdr-record.js';
export { buildCdr, dispositionOf, type BuildCdrOptions } from './cdr/build-cdr.js';
export type { CdrSink } from './cdr/cdr-sink.js';
export { JsonLinesCdrSink } from './cdr/json-lines-cdr-sink.js';
export { RedisStreamCdrSink, type RedisStreamCdrSinkOptions } from './cdr/redis-stream-cdr-sink.js';
export { CallbackCdrSink } from './cdr/callback-cdr-sink.js';
export {
  CdrWriter,
  cdrClaimKey,
  type CdrWriteResult,
  type CdrWriterOptions,
} from './cdr/cdr-writer.js';

export { DEFAULT_PROFILE_ENTRY_TTL_MS, type CallProfiles } from './profiles/call-profiles.js';
export {
  MemoryCallProfiles,
  type MemoryCallProfilesOptions,
} from './profiles/memory-call-profiles.js';
export {
  RedisCallProfiles,
  type RedisCallProfilesOptions,
} from './profiles/redis-call-profiles.js';
