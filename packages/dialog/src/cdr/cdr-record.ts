import type { HangupParty } from '../state/dialog-state.js';

/** Asterisk-style dispositions (issue #5). */
export type CdrDisposition = 'ANSWERED' | 'NO ANSWER' | 'BUSY' | 'FAILED' | 'CANCELLED';

/** One call detail record; JSON-safe, written once per call. */
export interface CdrRecord {
  readonly callId: string;
  readonly dialogId: string;
  readonly fromUri: string;
  readonly toUri: string;
  readonly callerContact: string | null;
  readonly calleeContact: string | null;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly answeredAt: number | null;
  readonly endedAt: number;
  /** End − start, ms and whole seconds (rounded up). */
  readonly durationMs: number;
  readonly durationSec: number;
  /** End − answer (0 if never answered), ms and whole seconds (rounded up: a started second is billed). */
  readonly billableMs: number;
  readonly billableSec: number;
  readonly disposition: CdrDisposition;
  readonly finalStatus: number | null;
  readonly hangupParty: HangupParty | null;
  readonly hangupReason: string | null;
  readonly referredBy: string | null;
  readonly replaces: string | null;
  /** Dialog that replaced this one (attended transfer, RFC 3891): links both CDRs. */
  readonly replacedBy: string | null;
  /** Refer-To of a REFER sent in this call and its last sipfrag status (RFC 3515). */
  readonly referTo: string | null;
  readonly referStatus: number | null;
  /** Core node that wrote the record. */
  readonly coreNode: string;
}
