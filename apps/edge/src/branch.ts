/**
 * Stateless branch computation, RFC 3261 §16.11: "If [the received branch]
 * begins with the magic cookie, the first component of the branch ID of the
 * outgoing request is computed as a hash of the received branch ID.
 * Otherwise, the first component of the branch ID is computed as a hash of
 * the topmost Via, the tag in the To header field, the tag in the From header
 * field, the Call-ID header field, the CSeq number (but not method), and the
 * Request-URI from the received request."
 * A retransmission therefore gets the same branch (and, hashed on Call-ID, the
 * same core), and a CANCEL gets its INVITE's branch.
 *
 * With the cookie we hash the received branch together with the top Via's
 * sent-by (its text before the first parameter): §17.2.3 matches a transaction
 * on branch *and* sent-by, so two clients that happen to use the same branch are
 * two transactions. Hashing the branch alone merged them at the core: sipp in a
 * container always runs as PID 1 and numbers its branches z9hG4bK-1-<call>-<n>,
 * so a second sipp run repeated the first run's branches and the core absorbed
 * its INVITEs as retransmissions of transactions still in Accepted (RFC 6026)
 * — no answer, not even 100 Trying.
 */
import * as crypto from 'node:crypto';
import { MAGIC_COOKIE, type SipRequest } from '@strata/parser';

/** Our branches start with this, so responses to us are recognised cheaply. */
export const EDGE_BRANCH_PREFIX = `${MAGIC_COOKIE}sE`;
export const PROBE_BRANCH_PREFIX = `${MAGIC_COOKIE}sP`;

export function statelessBranch(req: SipRequest, salt: string): string {
  const topVia = req.topViaRaw ?? '';
  const branch = /;\s*branch\s*=\s*([^;\s,]+)/i.exec(topVia)?.[1];
  let input: string;
  if (branch !== undefined && branch.startsWith(MAGIC_COOKIE)) {
    const semi = topVia.indexOf(';');
    input = `${salt}${branch}\0${(semi < 0 ? topVia : topVia.slice(0, semi)).trim().toLowerCase()}`;
  } else {
    // RFC 2543 peers: no cookie, so hash what identifies the transaction
    const toTag = req.method === 'ACK' ? '' : (req.toTag ?? '');
    input = `${salt}${topVia}\0${toTag}\0${req.fromTag ?? ''}\0${req.callId}\0${req.cseq.seq}\0${req.uri}`;
  }
  return EDGE_BRANCH_PREFIX + sha1(input).slice(0, 22);
}

/**
 * SHA-1 of a string (UTF-8), base64url: crypto.hash in one call where Node
 * has it (20.12+), else a Hash object (one C++ object and call per update,
 * a measurable part of the edge's per-request CPU). Same digest either way,
 * so branches stay stable across edges running either.
 */
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'base64url') => string }).hash;

function sha1(input: string): string {
  return oneShot !== undefined
    ? oneShot('sha1', input, 'base64url')
    : crypto.createHash('sha1').update(input).digest('base64url');
}
