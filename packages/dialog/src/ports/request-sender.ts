import type { SipRequest } from '@strata/parser';
import type { DialogSideName } from '../sip/side.js';
import type { SourceAddress } from '../state/dialog-state.js';

/** Where a request the dialog layer originates goes. */
export interface OutboundTarget {
  /** The party the request is for. */
  readonly side: DialogSideName;
  readonly dialogId: string;
  /**
   * The transport address that party's messages last came from (NAT: send there when the
   * Request-URI / Route is not reachable), null when unknown.
   */
  readonly source: SourceAddress | null;
}

/**
 * Outcome of a request the dialog layer originated: the final response status, or why
 * there is none. The transaction layer maps Timer B/F to 'timeout' and a transport failure
 * to 'transport' (RFC 3261 §8.1.3.1, §17.1.4).
 */
export type SendOutcome = { readonly status: number } | { readonly error: 'timeout' | 'transport' };

/**
 * The port through which the dialog layer originates in-dialog requests (BYE to both legs,
 * OPTIONS keep-alives, re-INVITE for hold, REFER: ARCHITECTURE §5). The core implements it
 * with a client transaction of @strata/transaction; the transaction layer pushes its own
 * Via (with a fresh branch, RFC 3261 §8.1.1.7), so requests built here carry no Via.
 * Tests implement it with a fake that records requests and answers as told.
 */
export interface DialogRequestSender {
  /** Sends a request in a new client transaction; resolves with its final outcome. */
  send(request: SipRequest, target: OutboundTarget): Promise<SendOutcome>;
  /**
   * Sends the ACK for a 2xx to a re-INVITE the proxy originated (RFC 3261 §13.2.2.4: the
   * ACK of a 2xx is the UAC core's job, not the transaction's). Resolves once handed over.
   */
  sendAck(request: SipRequest, target: OutboundTarget): Promise<void>;
}

/** 408/481 or no answer at all mean the peer (or its dialog) is gone (RFC 5057 §5.1). */
export function isKeepaliveFailure(outcome: SendOutcome): boolean {
  if ('error' in outcome) return true;
  return outcome.status === 408 || outcome.status === 481;
}
