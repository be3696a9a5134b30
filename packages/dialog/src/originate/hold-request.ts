import { withDirection } from '../sip/sdp-hold.js';
import type { DialogSideName } from '../sip/side.js';
import type { DialogState } from '../state/dialog-state.js';
import {
  buildInDialogRequest,
  type BuiltRequest,
  type InDialogRequestOptions,
} from './build-in-dialog-request.js';

/**
 * A re-INVITE that puts `side` on hold (issue #14 groundwork): the proxy, as `side`'s
 * peer, offers `sdp` marked sendonly (RFC 3264 §8.4 "placed on hold by marking it
 * sendonly"), or sendrecv again to resume. The SDP (the peer's media description) comes
 * from the caller of this helper, e.g. the media server.
 */
export function buildHoldReinvite(
  s: DialogState,
  side: DialogSideName,
  sdp: string,
  hold: boolean,
  options: Pick<InDialogRequestOptions, 'isOwnRoute'> = {},
): BuiltRequest {
  return buildInDialogRequest(s, side, 'INVITE', {
    ...options,
    body: withDirection(sdp, hold ? 'sendonly' : 'sendrecv'),
    contentType: 'application/sdp',
    contact: true,
  });
}
