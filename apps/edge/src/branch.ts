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
import { createHash } from 'node:crypto';
import { MAGIC_COOKIE, type SipRequest } from '@strata/parser';

/** Our branches start with this, so responses to us are recognised cheaply. */
export const EDGE_BRANCH_PREFIX = `${MAGIC_COOKIE}sE`;
export const PROBE_BRANCH_PREFIX = `${MAGIC_COOKIE}sP`;

export function statelessBranch(req: SipRequest, salt: string): string {
  const hash = createHash('sha1').update(salt);
  const topVia = req.topViaRaw ?? '';
  const branch = /;\s*branch\s*=\s*([^;\s,]+)/i.exec(topVia)?.[1];
  if (branch !== undefined && branch.startsWith(MAGIC_COOKIE)) {
    const semi = topVia.indexOf(';');
    hash
      .update(branch)
      .update('\0')
      .update((semi < 0 ? topVia : topVia.slice(0, semi)).trim().toLowerCase());
  } else {
    // RFC 2543 peers: no cookie, so hash what identifies the transaction
    hash
      .update(topVia)
      .update('\0')
      .update(req.method === 'ACK' ? '' : (req.toTag ?? ''))
      .update('\0')
      .update(req.fromTag ?? '')
      .update('\0')
      .update(req.callId)
      .update('\0')
      .update(String(req.cseq.seq))
      .update('\0')
      .update(req.uri);
  }
  return EDGE_BRANCH_PREFIX + hash.digest('base64url').slice(0, 22);
}
