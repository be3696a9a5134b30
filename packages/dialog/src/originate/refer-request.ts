import type { DialogSideName } from '../sip/side.js';
import type { DialogState } from '../state/dialog-state.js';
import {
  buildInDialogRequest,
  type BuiltRequest,
  type InDialogRequestOptions,
} from './build-in-dialog-request.js';

/**
 * A REFER asking `side` to call `referTo` (RFC 3515 §2.1 Refer-To; blind transfer).
 * `referredBy` adds the RFC 3892 Referred-By header. The implicit subscription's NOTIFYs
 * go to the Contact we send, the impersonated peer's (documented limitation: the proxy
 * relays them, it does not consume them).
 */
export function buildRefer(
  s: DialogState,
  side: DialogSideName,
  referTo: string,
  options: Pick<InDialogRequestOptions, 'isOwnRoute'> & { readonly referredBy?: string } = {},
): BuiltRequest {
  const headers: [string, string][] = [['Refer-To', `<${referTo}>`]];
  if (options.referredBy !== undefined) headers.push(['Referred-By', `<${options.referredBy}>`]);
  return buildInDialogRequest(s, side, 'REFER', {
    ...(options.isOwnRoute === undefined ? {} : { isOwnRoute: options.isOwnRoute }),
    headers,
    contact: true,
  });
}
