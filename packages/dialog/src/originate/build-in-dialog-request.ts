import { SipHeaders, SipRequest } from '@strata/parser';
import { routeToward, type OwnRoutePredicate } from '../sip/route-set.js';
import { otherSide, type DialogSideName } from '../sip/side.js';
import type { DialogState } from '../state/dialog-state.js';

export interface InDialogRequestOptions {
  readonly body?: Buffer | string;
  /** Required with a body. */
  readonly contentType?: string;
  /** Extra header lines, in order (e.g. Reason, Refer-To, Event). */
  readonly headers?: readonly (readonly [string, string])[];
  /** Recognises this proxy's own Record-Route entries (see `routeToward`). */
  readonly isOwnRoute?: OwnRoutePredicate;
  /**
   * 'next' (default): CSeq = last + 1 and the state records it (RFC 3261 §12.2.1.1: "the
   * CSeq ... MUST be strictly monotonically increasing"). 'same': reuse the last number —
   * for keep-alive OPTIONS, so probes never push the real UA's CSeq space forward (a UA
   * rejects only a *lower* CSeq, §12.2.2); also the ACK of a re-INVITE (§13.2.2.4).
   */
  readonly cseq?: 'next' | 'same';
  /** Add a Contact (target refresh requests MUST carry one, §8.1.1.8): the impersonated party's. */
  readonly contact?: boolean;
}

export interface BuiltRequest {
  readonly request: SipRequest;
  /** The state with the impersonated side's CSeq advanced (version + 1 when it changed). */
  readonly state: DialogState;
}

const NEVER_OWN: OwnRoutePredicate = () => false;

function tagged(uri: string, tag: string | null): string {
  return tag === null ? `<${uri}>` : `<${uri}>;tag=${tag}`;
}

/**
 * A request the proxy originates inside a dialog it relays (ARCHITECTURE §5, Kamailio's
 * `dlg_bye`/`dlg_refer` idea). The proxy impersonates the party opposite `side`, so `side`
 * sees an ordinary in-dialog request from its peer (RFC 3261 §12.2.1.1):
 * - Request-URI = `side`'s remote target (its Contact), the URI of record when none;
 * - Route = the hops towards `side` after this proxy (`routeToward`, loose routing);
 * - From/To = peer URI + peer tag / `side` URI + `side` tag (tags swapped towards the caller);
 * - Call-ID of the dialog; CSeq in the peer's number space (the one `side` checks), last + 1;
 * - Max-Forwards 70 (§8.1.1.6). No Via: the transaction layer pushes its own with a fresh
 *   branch when it starts the client transaction (§8.1.1.7).
 */
export function buildInDialogRequest(
  s: DialogState,
  side: DialogSideName,
  method: string,
  options: InDialogRequestOptions = {},
): BuiltRequest {
  const peer = otherSide(side);
  const target = s[side];
  const from = s[peer];
  const fromTag = peer === 'caller' ? s.fromTag : s.toTag;
  const toTag = side === 'caller' ? s.fromTag : s.toTag;
  const next = options.cseq !== 'same';
  const seq = next ? from.cseq + 1 : Math.max(1, from.cseq);

  const h = SipHeaders.empty();
  for (const r of routeToward(s, side, options.isOwnRoute ?? NEVER_OWN)) h.append('Route', r);
  h.append('Max-Forwards', '70');
  h.append('From', tagged(from.uri, fromTag));
  h.append('To', tagged(target.uri, toTag));
  h.append('Call-ID', s.callId);
  h.append('CSeq', `${seq} ${method}`);
  if (options.contact === true && from.contact !== null) h.append('Contact', `<${from.contact}>`);
  for (const [name, value] of options.headers ?? []) h.append(name, value);
  const body =
    options.body === undefined
      ? Buffer.alloc(0)
      : typeof options.body === 'string'
        ? Buffer.from(options.body, 'utf8')
        : options.body;
  if (body.length > 0 && options.contentType !== undefined)
    h.append('Content-Type', options.contentType);
  h.append('Content-Length', String(body.length));
  const request = new SipRequest(method, target.contact ?? target.uri, h, body);

  const state =
    next && seq !== from.cseq
      ? { ...s, [peer]: { ...from, cseq: seq }, version: s.version + 1 }
      : s;
  return { request, state };
}
