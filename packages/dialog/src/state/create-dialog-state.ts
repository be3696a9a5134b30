import { dialogId } from './dialog-id.js';
import type { DialogSide, DialogState, SourceAddress } from './dialog-state.js';

export interface NewDialogInput {
  readonly callId: string;
  readonly fromTag: string;
  readonly toTag?: string | null;
  readonly callerUri: string;
  readonly calleeUri: string;
  readonly callerContact?: string | null;
  readonly callerCseq?: number;
  readonly callerSource?: SourceAddress | null;
  readonly ownerNode: string;
  /** Epoch ms of creation. */
  readonly now: number;
  /** Epoch ms after which an unanswered dialog is given up, if any. */
  readonly earlyTimeoutAt?: number | null;
  /** Epoch ms at which the call is cut (max call duration), if any. */
  readonly maxDurationAt?: number | null;
  /** Call-profile keys the call was counted in. */
  readonly profileKeys?: readonly string[];
}

function emptySide(uri: string): DialogSide {
  return {
    uri,
    contact: null,
    cseq: 0,
    routeSet: [],
    source: null,
    onHold: false,
    keepaliveFailures: 0,
  };
}

/** A fresh early dialog (version 1) with every field set, so all states share one shape. */
export function createDialogState(input: NewDialogInput): DialogState {
  const toTag = input.toTag ?? null;
  return {
    id: dialogId(input.callId, input.fromTag, toTag),
    callId: input.callId,
    fromTag: input.fromTag,
    toTag,
    state: 'early',
    caller: {
      ...emptySide(input.callerUri),
      contact: input.callerContact ?? null,
      cseq: input.callerCseq ?? 0,
      source: input.callerSource ?? null,
    },
    callee: emptySide(input.calleeUri),
    createdAt: input.now,
    answeredAt: null,
    endedAt: null,
    ownerNode: input.ownerNode,
    version: 1,
    timers: {
      keepaliveDueAt: null,
      sessionExpiresAt: null,
      maxDurationAt: input.maxDurationAt ?? null,
      earlyTimeoutAt: input.earlyTimeoutAt ?? null,
    },
    sessionTimer: null,
    transfer: {
      referredBy: null,
      replaces: null,
      replacedBy: null,
      referTo: null,
      referStatus: null,
    },
    disposition: { finalStatus: null, hangupParty: null, reason: null },
    profileKeys: input.profileKeys ?? [],
  };
}
