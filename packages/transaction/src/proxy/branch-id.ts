/**
 * Branch ids a proxy writes: the loop-detecting branch of a stateful proxy
 * (§16.6 item 8, §16.3 item 4) and the retransmission-stable branch of a
 * stateless one (§16.11). Both are pure functions of the received request.
 */
import { createHash } from 'node:crypto';
import { MAGIC_COOKIE, type SipRequest } from '@strata/parser';
import { isRfc3261Branch, sentByOf, topViaOf } from '../keys.js';

function digest(input: string): string {
  return createHash('sha1').update(input).digest('base64url').slice(0, 16);
}

/**
 * §16.6 item 8: "If the proxy wishes to detect loops, the "branch" parameter
 * it supplies MUST depend on all information affecting processing of a
 * request, including the incoming Request-URI and any header fields affecting
 * the request's admission or routing. [...] The request method MUST NOT be
 * included in the calculation of the branch parameter." The RFC's list: To
 * tag, From tag, Call-ID, CSeq number, Request-URI, Route, Proxy-Require,
 * Proxy-Authorization. The top Via is left out: it is the previous hop's and
 * changes on every lap, which would make every loop look like a spiral.
 */
export function loopHash(request: SipRequest): string {
  const h = request.headers;
  return digest(
    [
      request.toTag ?? '',
      request.fromTag ?? '',
      request.callId,
      String(request.cseq.seq),
      request.uri,
      h.getAll('route').join(','),
      h.getAll('proxy-require').join(','),
      h.getAll('proxy-authorization').join(','),
    ].join('\n'),
  );
}

/** `z9hG4bK` + prefix + loop hash + "." + a part unique to this branch. */
export function loopBranch(prefix: string, hash: string, unique: string): string {
  return `${MAGIC_COOKIE}${prefix}${hash}.${unique}`;
}

/** The loop hash inside a branch this proxy wrote, or null when it is not one of ours. */
export function loopHashOfBranch(prefix: string, branch: string): string | null {
  const head = MAGIC_COOKIE + prefix;
  if (!branch.startsWith(head)) return null;
  const dot = branch.indexOf('.', head.length);
  return dot < 0 ? null : branch.slice(head.length, dot);
}

export interface StatelessBranchOptions {
  /** mixed into the hash so other nodes' branches never collide with ours */
  secret: string;
  /** written after the magic cookie (e.g. a node id) */
  prefix?: string;
}

/**
 * §16.11: "The proxy examines the branch ID in the topmost Via header field
 * of the received request. If it begins with the magic cookie, the first
 * component of the branch ID of the outgoing request is computed as a hash of
 * the received branch ID. Otherwise, the first component of the branch ID is
 * computed as a hash of the topmost Via, the tag in the To header field, the
 * tag in the From header field, the Call-ID header field, the CSeq number
 * (but not method), and the Request-URI from the received request."
 *
 * With the magic cookie the hash also covers sent-by, Call-ID, CSeq number,
 * Request-URI and From tag (all equal on the INVITE, its CANCEL and the ACK
 * for a non-2xx) but not the To tag, which the ACK for a non-2xx gains; so
 * retransmissions, CANCEL and that ACK get the branch of their INVITE.
 * Returns null when the request has no parseable top Via or CSeq.
 */
export function statelessBranch(
  request: SipRequest,
  options: StatelessBranchOptions,
): string | null {
  const via = topViaOf(request);
  if (via === null || !request.hasCSeq) return null;
  const branch = via.params.get('branch');
  let input: string;
  if (isRfc3261Branch(branch)) {
    input = [
      options.secret,
      branch,
      sentByOf(via),
      request.callId,
      String(request.cseq.seq),
      request.uri,
      request.fromTag ?? '',
    ].join('\n');
  } else {
    input = [
      options.secret,
      request.topViaRaw ?? '',
      request.toTag ?? '',
      request.fromTag ?? '',
      request.callId,
      String(request.cseq.seq),
      request.uri,
    ].join('\n');
  }
  return `${MAGIC_COOKIE}${options.prefix ?? ''}${digest(input)}`;
}
