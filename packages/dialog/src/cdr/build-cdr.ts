import type { DialogState } from '../state/dialog-state.js';
import type { CdrDisposition, CdrRecord } from './cdr-record.js';

/**
 * Disposition from the final response, in the spirit of Asterisk's CDR:
 * answered if a 2xx confirmed the dialog; 486 Busy Here / 600 Busy Everywhere → BUSY;
 * 487 Request Terminated, or the caller hanging up before any final response → CANCELLED;
 * 408 Request Timeout, 480 Temporarily Unavailable, or the proxy giving up without a final
 * response → NO ANSWER; any other failure (including 603 Decline) → FAILED.
 */
export function dispositionOf(s: DialogState): CdrDisposition {
  if (s.answeredAt !== null) return 'ANSWERED';
  const status = s.disposition.finalStatus;
  if (status === 486 || status === 600) return 'BUSY';
  if (status === 487) return 'CANCELLED';
  if (status === 408 || status === 480) return 'NO ANSWER';
  if (status === null) {
    if (s.disposition.hangupParty === 'caller') return 'CANCELLED';
    if (s.disposition.hangupParty === 'proxy-timeout') return 'NO ANSWER';
  }
  return 'FAILED';
}

export interface BuildCdrOptions {
  /** Node writing the record. */
  readonly coreNode: string;
  /** Used as end time when the state has no `endedAt` yet (epoch ms). */
  readonly now: number;
}

/** Pure: the CDR of a finished (or being finished) dialog. */
export function buildCdr(s: DialogState, options: BuildCdrOptions): CdrRecord {
  const endedAt = s.endedAt ?? options.now;
  const durationMs = Math.max(0, endedAt - s.createdAt);
  const billableMs = s.answeredAt === null ? 0 : Math.max(0, endedAt - s.answeredAt);
  return {
    callId: s.callId,
    dialogId: s.id,
    fromUri: s.caller.uri,
    toUri: s.callee.uri,
    callerContact: s.caller.contact,
    calleeContact: s.callee.contact,
    startedAt: s.createdAt,
    answeredAt: s.answeredAt,
    endedAt,
    durationMs,
    durationSec: Math.ceil(durationMs / 1000),
    billableMs,
    billableSec: Math.ceil(billableMs / 1000),
    disposition: dispositionOf(s),
    finalStatus: s.disposition.finalStatus,
    hangupParty: s.disposition.hangupParty,
    hangupReason: s.disposition.reason,
    referredBy: s.transfer.referredBy,
    replaces: s.transfer.replaces,
    replacedBy: s.transfer.replacedBy,
    referTo: s.transfer.referTo,
    referStatus: s.transfer.referStatus,
    coreNode: options.coreNode,
  };
}
