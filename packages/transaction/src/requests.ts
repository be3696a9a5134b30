/** Requests a client transaction builds itself: ACK for non-2xx (§17.1.1.3) and CANCEL (§9.1). */
import { SipHeaders, SipRequest, type SipResponse } from '@strata/parser';

/**
 * §17.1.1.3: "The ACK request constructed by the client transaction MUST
 * contain values for the Call-ID, From, and Request-URI that are equal to the
 * values of those header fields in the request passed to the transport by the
 * client transaction [...]. The To header field in the ACK MUST equal the To
 * header field in the response being acknowledged [...]. The ACK MUST contain
 * a single Via header field, and this MUST be equal to the top Via header
 * field of the original request. The CSeq header field in the ACK MUST
 * contain the same value for the sequence number as was present in the
 * original request, but the method parameter MUST be equal to "ACK". If the
 * INVITE request whose response is being acknowledged had Route header
 * fields, those header fields MUST appear in the ACK."
 */
export function buildAck(invite: SipRequest, topVia: string, response: SipResponse): SipRequest {
  const h = SipHeaders.empty();
  h.append('Via', topVia);
  for (const route of invite.headers.getAll('route')) h.append('Route', route);
  h.append('Max-Forwards', '70');
  h.append('From', invite.headers.get('from') ?? '');
  h.append('To', response.headers.get('to') ?? '');
  h.append('Call-ID', invite.callId);
  h.append('CSeq', `${invite.cseq.seq} ACK`);
  h.append('Content-Length', '0');
  return new SipRequest('ACK', invite.uri, h);
}

/**
 * §9.1: "The Request-URI, Call-ID, To, the numeric part of CSeq, and From
 * header fields in the CANCEL request MUST be identical to those in the
 * request being cancelled, including tags. A CANCEL constructed by a client
 * MUST have only a single Via header field value matching the top Via value
 * in the request being cancelled. [...] If the request being cancelled
 * contains a Route header field, the CANCEL request MUST include that Route
 * header field's values." `reason` adds an RFC 3326 Reason header.
 */
export function buildCancel(invite: SipRequest, topVia: string, reason: string | null): SipRequest {
  const h = SipHeaders.empty();
  h.append('Via', topVia);
  for (const route of invite.headers.getAll('route')) h.append('Route', route);
  h.append('Max-Forwards', '70');
  h.append('From', invite.headers.get('from') ?? '');
  h.append('To', invite.headers.get('to') ?? '');
  h.append('Call-ID', invite.callId);
  h.append('CSeq', `${invite.cseq.seq} CANCEL`);
  if (reason !== null) h.append('Reason', reason);
  h.append('Content-Length', '0');
  return new SipRequest('CANCEL', invite.uri, h);
}
