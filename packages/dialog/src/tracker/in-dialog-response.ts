/** What the final response to a relayed in-dialog request does to the dialog (pure). */
import type { SipResponse } from '@strata/parser';
import { contactUri } from '../sip/message-info.js';
import { isSdpBody, offerHolds } from '../sip/sdp-hold.js';
import { otherSide, type DialogSideName } from '../sip/side.js';
import type { DialogState } from '../state/dialog-state.js';
import type { DialogEvent } from './events.js';
import { refreshSession } from './transitions.js';

/** An in-dialog request the tracker waits for the final response of. */
export interface PendingRequest {
  readonly dialogId: string;
  readonly callId: string;
  readonly from: DialogSideName;
  readonly method: string;
  readonly hadSdp: boolean;
}

export interface ResponseOutcome {
  readonly next: DialogState | null;
  readonly events: readonly DialogEvent[];
}

export function applyInDialogResponse(
  s: DialogState,
  res: SipResponse,
  p: PendingRequest,
  now: number,
): ResponseOutcome {
  const answerer = otherSide(p.from);
  if (res.status >= 300) {
    // RFC 3515 §2.4.2: a non-2xx to the REFER means no subscription and no transfer.
    if (p.method !== 'REFER') return { next: null, events: [] };
    const next = {
      ...s,
      transfer: { ...s.transfer, referStatus: res.status },
      version: s.version + 1,
    };
    return {
      next,
      events: [{ type: 'refer', state: next, referTo: s.transfer.referTo, status: res.status }],
    };
  }
  if (p.method !== 'INVITE' && p.method !== 'UPDATE') return { next: null, events: [] };
  // RFC 4028 §10: the 2xx of a re-INVITE/UPDATE is a session refresh.
  let next = refreshSession(s, res, now);
  // RFC 3261 §12.2.1.2: "When a UAC receives a 2xx response to a target refresh request,
  // it MUST replace the dialog's remote target URI with the URI from the Contact header".
  const contact = contactUri(res);
  const events: DialogEvent[] = [];
  let side = next[answerer];
  if (contact !== null) side = { ...side, contact };
  // Late offer (RFC 3261 §13.2.1, RFC 3264): a request without SDP gets the offer in the 2xx.
  if (!p.hadSdp && isSdpBody(res.headers.get('content-type'), res.body)) {
    const onHold = offerHolds(res.body.toString('utf8'));
    if (onHold !== side.onHold) {
      side = { ...side, onHold };
      events.push({ type: 'hold', state: next, side: answerer, onHold });
    }
  }
  next = { ...next, [answerer]: side };
  return { next, events };
}
