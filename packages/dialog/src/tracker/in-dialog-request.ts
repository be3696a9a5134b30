/**
 * What an in-dialog request does to the dialog (pure). RFC 3261 §12.2.2 for CSeq and
 * target refresh; RFC 3264 §8.4 hold; RFC 3515 REFER / NOTIFY sipfrag.
 */
import { readReferTo, serializeUri, type SipRequest } from '@strata/parser';
import { contactUri } from '../sip/message-info.js';
import { isSdpBody, offerHolds } from '../sip/sdp-hold.js';
import { isReferEvent, isSipfrag, sipfragStatus } from '../sip/sipfrag.js';
import type { DialogSideName } from '../sip/side.js';
import type { DialogState, SourceAddress } from '../state/dialog-state.js';
import type { DialogEvent } from './events.js';

export type InDialogOutcome =
  | { readonly kind: 'out-of-order'; readonly lastCseq: number }
  | { readonly kind: 'bye' }
  | {
      readonly kind: 'update';
      readonly next: DialogState;
      /** Track the response (target refresh / session refresh / REFER result). */
      readonly awaitResponse: boolean;
      /** The request carried an SDP offer (so a 2xx body is an answer, not an offer). */
      readonly hadSdp: boolean;
      readonly events: readonly DialogEvent[];
    };

/** Methods whose 2xx the tracker needs: target refresh (§12.2), session refresh (RFC 4028), REFER result. */
const AWAIT_RESPONSE: ReadonlySet<string> = new Set(['INVITE', 'UPDATE', 'REFER']);

export function applyInDialogRequest(
  s: DialogState,
  req: SipRequest,
  from: DialogSideName,
  source: SourceAddress | null,
): InDialogOutcome {
  const side = s[from];
  const seq = req.cseq.seq;
  // RFC 3261 §12.2.2: "If the remote sequence number was not empty, but the sequence
  // number of the request is lower than the remote sequence number, the request is out of
  // order and MUST be rejected with a 500 (Server Internal Error) response."
  if (side.cseq > 0 && seq < side.cseq) return { kind: 'out-of-order', lastCseq: side.cseq };
  if (req.method === 'BYE') return { kind: 'bye' };

  const events: DialogEvent[] = [];
  // A request from a side proves it is alive: its keep-alive failures start over.
  let updated = {
    ...side,
    cseq: Math.max(seq, side.cseq),
    source: source ?? side.source,
    keepaliveFailures: 0,
  };
  let transfer = s.transfer;
  let hadSdp = false;

  if (req.method === 'INVITE' || req.method === 'UPDATE') {
    // RFC 3261 §12.2.2: "When a UAS receives a target refresh request, it MUST replace the
    // dialog's remote target URI with the URI from the Contact header field in that
    // request, if present." (UPDATE is a target refresh too, RFC 3311 §5.2.)
    const contact = contactUri(req);
    if (contact !== null) updated = { ...updated, contact };
    if (isSdpBody(req.headers.get('content-type'), req.body)) {
      hadSdp = true;
      const onHold = offerHolds(req.body.toString('utf8'));
      if (onHold !== side.onHold) updated = { ...updated, onHold };
    }
  } else if (req.method === 'REFER') {
    // RFC 3515 §2.4.1: a REFER carries exactly one Refer-To.
    let referTo: string | null = null;
    try {
      const na = readReferTo(req.headers);
      referTo = na === null ? null : serializeUri(na.uri);
    } catch {
      referTo = null;
    }
    transfer = { ...transfer, referTo, referStatus: null };
  } else if (
    req.method === 'NOTIFY' &&
    isReferEvent(req.headers.get('event')) &&
    isSipfrag(req.headers.get('content-type'))
  ) {
    // RFC 3515 §2.4.5: the NOTIFY body is the status line of the referred request's response.
    const status = sipfragStatus(req.body);
    if (status !== null) transfer = { ...transfer, referStatus: status };
  }

  const next: DialogState = { ...s, [from]: updated, transfer, version: s.version + 1 };
  if (updated.onHold !== side.onHold)
    events.push({ type: 'hold', state: next, side: from, onHold: updated.onHold });
  if (transfer !== s.transfer)
    events.push({
      type: 'refer',
      state: next,
      referTo: transfer.referTo,
      status: transfer.referStatus,
    });
  return {
    kind: 'update',
    next,
    awaitResponse: AWAIT_RESPONSE.has(req.method),
    hadSdp,
    events,
  };
}
