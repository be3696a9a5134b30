/**
 * One out-of-dialog OPTIONS in a real client transaction (RFC 3261 §11), with its own
 * answer deadline: media-server probes and NAT keep-alives. The transaction layer pushes
 * the Via; a late answer after the deadline is ignored (the transaction still ends by Timer F).
 */
import { randomBytes } from 'node:crypto';
import { generateTag, parseMessage, type SipRequest, type SipResponse } from '@strata/parser';
import { NoopClientUser, type ClientTransaction, type TransactionLayer } from '@strata/transaction';
import type { Destination } from '@strata/transport';

export type PingOutcome = { status: number } | { error: 'timeout' | 'transport' };

const CALL_ID_PREFIX = randomBytes(6).toString('hex');
let seq = 0;

export function buildOptions(
  requestUri: string,
  from: string,
  routes: readonly string[] = [],
): SipRequest {
  const n = ++seq;
  const text =
    `OPTIONS ${requestUri} SIP/2.0\r\n` +
    routes.map((r) => `Route: ${r}\r\n`).join('') +
    `Max-Forwards: 70\r\n` +
    `From: <${from}>;tag=${generateTag()}\r\n` +
    `To: <${requestUri}>\r\n` +
    `Call-ID: ${CALL_ID_PREFIX}-${n}@strata-core\r\n` +
    `CSeq: ${n} OPTIONS\r\n` +
    `Accept: application/sdp\r\n` +
    `Content-Length: 0\r\n\r\n`;
  return parseMessage(Buffer.from(text)) as SipRequest;
}

class PingUser extends NoopClientUser {
  private done = false;
  constructor(private readonly settle: (o: PingOutcome) => void) {
    super();
  }
  override onResponse(response: SipResponse, _tx: ClientTransaction): void {
    if (response.status >= 200) this.finish({ status: response.status });
  }
  override onTimeout(_tx: ClientTransaction): void {
    this.finish({ error: 'timeout' });
  }
  override onTransportError(): void {
    this.finish({ error: 'transport' });
  }
  finish(o: PingOutcome): void {
    if (this.done) return;
    this.done = true;
    this.settle(o);
  }
}

export function ping(
  layer: TransactionLayer,
  request: SipRequest,
  destination: Destination,
  timeoutMs: number,
): Promise<PingOutcome> {
  return new Promise<PingOutcome>((resolve) => {
    const user = new PingUser((o) => {
      clearTimeout(timer);
      resolve(o);
    });
    const timer = setTimeout(() => user.finish({ error: 'timeout' }), timeoutMs);
    timer.unref();
    try {
      layer.sendRequest(request, destination, user);
    } catch {
      user.finish({ error: 'transport' });
    }
  });
}

/** 408, 481 (RFC 5057), timeout and transport errors mean the far end is gone; anything else answers. */
export function isAlive(o: PingOutcome): boolean {
  return 'status' in o && o.status !== 408 && o.status !== 503;
}
