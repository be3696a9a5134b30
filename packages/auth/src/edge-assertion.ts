/**
 * The edge's word that it authenticated a request: `X-Strata-Auth: user="alice";ts=…;sig=…`.
 *
 * Behind an authenticating edge, a core that challenged again would make every client answer
 * two digest challenges (two realms, two nonces). Instead the edge, after a digest response
 * verified, adds this header; a core configured with the same secret takes the named user as
 * authenticated (the trust-domain idea of RFC 3325 §2.3, for one private header).
 *
 * Not forgeable by a client: the edge removes every `X-Strata-Auth` a client sent before it
 * adds its own, and the value is an HMAC under a secret only edges and cores hold, bound to
 * the request (method, Call-ID, CSeq, To, Contacts) and to a timestamp — a client reaching a
 * core directly, or replaying a captured header on another request or later, gets nowhere.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SipRequest } from '@strata/parser';

export const ASSERTION_HEADER = 'X-Strata-Auth';

export interface AssertionOptions {
  /** shared by the edges and the cores, ≥ 16 characters */
  secret: string;
  /** a header older than this (or this far in the future: clock skew) is refused */
  maxAgeSeconds?: number;
  now?: () => number;
}

export class EdgeAssertion {
  private readonly now: () => number;
  private readonly maxAge: number;

  constructor(private readonly options: AssertionOptions) {
    this.now = options.now ?? Date.now;
    this.maxAge = options.maxAgeSeconds ?? 30;
  }

  /** The header value for a request whose digest response named `username`. */
  sign(req: SipRequest, username: string): string {
    const ts = Math.floor(this.now() / 1000);
    return `user="${escape(username)}";ts=${ts};sig=${this.mac(req, username, ts)}`;
  }

  /** Replace whatever the client sent with our own assertion (edge, after a verified response). */
  stamp(req: SipRequest, username: string): void {
    req.headers.remove(ASSERTION_HEADER);
    req.headers.append(ASSERTION_HEADER, this.sign(req, username));
  }

  /**
   * The username the edge vouched for, or null: no header, several, malformed, wrong
   * signature, or too old. Never throws.
   */
  verify(req: SipRequest): string | null {
    try {
      const values = req.headers.getAll(ASSERTION_HEADER);
      if (values.length !== 1) return null;
      const m = /^user="((?:[^"\\]|\\.)*)";ts=(\d{1,12});sig=([A-Za-z0-9_-]{43})$/.exec(
        values[0]!.trim(),
      );
      if (m === null) return null;
      const username = m[1]!.replace(/\\(.)/g, '$1');
      const ts = Number(m[2]);
      if (Math.abs(Math.floor(this.now() / 1000) - ts) > this.maxAge) return null;
      const expected = Buffer.from(this.mac(req, username, ts));
      const got = Buffer.from(m[3]!);
      return expected.length === got.length && timingSafeEqual(expected, got) ? username : null;
    } catch {
      return null;
    }
  }

  private mac(req: SipRequest, username: string, ts: number): string {
    const h = createHmac('sha256', this.options.secret);
    for (const part of [
      'strata-auth/1',
      username,
      String(ts),
      req.method,
      req.callId,
      String(req.cseq.seq),
      req.headers.get('to') ?? '',
      ...req.headers.values('contact'),
    ])
      h.update(part).update('\u0000');
    return h.digest('base64url');
  }
}

function escape(s: string): string {
  return s.replace(/["\\]/g, '\\$&');
}
