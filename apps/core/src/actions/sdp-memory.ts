/**
 * The last SDP each party of a tracked call sent (issue #14), so an admin hold needs no SDP
 * from the operator: holding `side` offers the *peer's* media description marked sendonly
 * (RFC 3264 §8.4), with the o= version increased (§8: a changed description carries a
 * higher version). In this core's memory only; forgotten when the call ends.
 */
import { isSdpBody, otherSide, type DialogSideName } from '@strata/dialog';
import type { SipRequest, SipResponse } from '@strata/parser';

interface CallSdp {
  readonly callerTag: string;
  caller: string | null;
  callee: string | null;
}

/** Requests whose body may be a party's offer or answer (ACK: a late-offer answer). */
const SDP_METHODS: ReadonlySet<string> = new Set(['INVITE', 'UPDATE', 'ACK', 'PRACK']);

export class SdpMemory {
  private readonly calls = new Map<string, CallSdp>();

  constructor(private readonly maxCalls = 100_000) {}

  /** A request the core relays on a tracked call (the initial INVITE registers the call). */
  request(req: SipRequest): void {
    if (!SDP_METHODS.has(req.method)) return;
    const fromTag = req.fromTag;
    if (fromTag === null) return;
    const sdp = sdpOf(req.headers.get('content-type'), req.body);
    if (req.toTag === null && req.method === 'INVITE') {
      if (!this.calls.has(req.callId) && this.calls.size >= this.maxCalls) return;
      this.calls.set(req.callId, { callerTag: fromTag, caller: sdp, callee: null });
      return;
    }
    const c = this.calls.get(req.callId);
    if (c === undefined || sdp === null) return;
    c[fromTag === c.callerTag ? 'caller' : 'callee'] = sdp;
  }

  /** A response the core relays: a 1xx/2xx SDP is the answering party's. */
  response(res: SipResponse): void {
    if (res.status >= 300) return;
    const c = this.calls.get(res.callId);
    if (c === undefined) return;
    const sdp = sdpOf(res.headers.get('content-type'), res.body);
    if (sdp === null) return;
    // the response comes from the party the request went to
    c[res.fromTag === c.callerTag ? 'callee' : 'caller'] = sdp;
  }

  /** The SDP `side`'s peer last sent, or null. */
  peerOf(callId: string, side: DialogSideName): string | null {
    return this.calls.get(callId)?.[otherSide(side)] ?? null;
  }

  /** The core offered `sdp` to `side` in its peer's name: that is the peer's description now. */
  offered(callId: string, side: DialogSideName, sdp: string): void {
    const c = this.calls.get(callId);
    if (c !== undefined) c[otherSide(side)] = sdp;
  }

  forget(callId: string): void {
    this.calls.delete(callId);
  }

  get size(): number {
    return this.calls.size;
  }
}

function sdpOf(contentType: string | undefined, body: Buffer): string | null {
  return isSdpBody(contentType, body) ? body.toString('utf8') : null;
}

/** RFC 4566 §5.2 `o=<username> <sess-id> <sess-version> …`: sess-version + 1. */
export function bumpVersion(sdp: string): string {
  return sdp.replace(
    /^(o=\S+ \S+ )(\d+)( )/m,
    (_m, pre: string, v: string, post: string) => `${pre}${(BigInt(v) + 1n).toString()}${post}`,
  );
}
