/**
 * The call-event schema (issue #14), version 1: what the core publishes to a Redis Stream
 * and/or a webhook. Plain JSON; every event has the same envelope, type-specific fields
 * live in `data`. Documented in docs/call-control.md — change both together and bump
 * CALL_EVENT_VERSION on any incompatible change.
 */
import type { DialogSideName, DialogState, HangupParty } from '@strata/dialog';

export const CALL_EVENT_VERSION = 1;

export type CallEventType =
  | 'created'
  | 'ringing'
  | 'answered'
  | 'held'
  | 'resumed'
  | 'transferred'
  | 'parked'
  | 'retrieved'
  | 'recording-started'
  | 'recording-stopped'
  | 'dtmf'
  | 'action-refused'
  /** a route policy ran (issue #14): its action, time and outcome */
  | 'policy'
  | 'ended';

/** Who asked for something: a party's own SIP request, or the core (admin API, feature code, policy). */
export type Initiator = 'party' | 'core';

export interface CallParty {
  readonly uri: string;
  /** Dialog tag (From tag of the caller, To tag of the callee; null before an answer). */
  readonly tag: string | null;
}

export interface CallEvent {
  readonly v: typeof CALL_EVENT_VERSION;
  /** `<node>:<seq>`: unique; seq grows by one per event on a node (ordering, gap detection). */
  readonly id: string;
  readonly seq: number;
  readonly node: string;
  readonly type: CallEventType;
  /** When the core saw it (epoch ms). */
  readonly ts: number;
  /**
   * The dialog layer's id. It gains the callee's tag once a response carries one, so use
   * `callId` (+ `caller.tag`) to correlate one call's events.
   */
  readonly dialogId: string;
  readonly callId: string;
  readonly caller: CallParty;
  readonly callee: CallParty;
  readonly createdAt: number;
  readonly answeredAt: number | null;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface HoldData {
  /** The side that put the call on hold (offered sendonly/inactive, RFC 3264 §8.4). */
  readonly holder: DialogSideName;
  readonly by: Initiator;
}

export interface TransferData {
  readonly referTo: string | null;
  /** null: REFER sent/seen; else the REFER's failure status or the sipfrag NOTIFY status (RFC 3515 §2.4.5). */
  readonly status: number | null;
  readonly by: Initiator;
}

export interface EndedData {
  readonly party: HangupParty;
  readonly reason: string | null;
  readonly wasEarly: boolean;
  readonly finalStatus: number | null;
  readonly endedAt: number | null;
}

export interface DtmfData {
  /** The side that sent the digit. */
  readonly side: DialogSideName;
  readonly digit: string;
  readonly durationMs: number | null;
  readonly source: 'info';
}

/** The envelope fields a dialog state gives. */
export function callFields(
  s: DialogState,
): Pick<CallEvent, 'dialogId' | 'callId' | 'caller' | 'callee' | 'createdAt' | 'answeredAt'> {
  return {
    dialogId: s.id,
    callId: s.callId,
    caller: { uri: s.caller.uri, tag: s.fromTag },
    callee: { uri: s.callee.uri, tag: s.toTag },
    createdAt: s.createdAt,
    answeredAt: s.answeredAt,
  };
}
