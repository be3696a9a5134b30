/**
 * The dialog layer's sender port over the transaction layer: requests the
 * core originates on a dialog's behalf (BYE to both legs, keep-alive
 * OPTIONS, re-INVITE, REFER — ARCHITECTURE.md §5) run in real client
 * transactions, so they are retransmitted, time out (→ 408, RFC 3261
 * §8.1.3.1) and fail on transport errors (→ 503) like any other request.
 */
import { generateBranch, type SipRequest, type SipResponse } from '@strata/parser';
import type { DialogRequestSender, OutboundTarget, SendOutcome } from '@strata/dialog';
import { NoopClientUser, type ClientTransaction, type TransactionLayer } from '@strata/transaction';
import type { Destination } from '@strata/transport';
import { destinationOf, routeUri, stripAlias } from '../routing/resolve.js';

class OutcomeUser extends NoopClientUser {
  private settled = false;
  constructor(private readonly resolve: (o: SendOutcome) => void) {
    super();
  }

  override onResponse(response: SipResponse, _tx: ClientTransaction): void {
    if (response.status < 200 || this.settled) return;
    this.settled = true;
    this.resolve({ status: response.status });
  }

  override onTimeout(_tx: ClientTransaction): void {
    this.finish({ error: 'timeout' });
  }

  override onTransportError(): void {
    this.finish({ error: 'transport' });
  }

  override onTerminated(_tx: ClientTransaction): void {
    this.finish({ error: 'timeout' });
  }

  private finish(o: SendOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(o);
  }
}

export class TransactionDialogSender implements DialogRequestSender {
  constructor(private readonly layer: TransactionLayer) {}

  async send(request: SipRequest, target: OutboundTarget): Promise<SendOutcome> {
    let dest: Destination;
    try {
      dest = await nextHop(request, target);
    } catch {
      return { error: 'transport' };
    }
    if (!request.hasRoute) request.uri = stripAlias(request.uri);
    return new Promise<SendOutcome>((resolve) => {
      try {
        this.layer.sendRequest(request, dest, new OutcomeUser(resolve));
      } catch {
        resolve({ error: 'transport' });
      }
    });
  }

  /** RFC 3261 §13.2.2.4: the ACK for a 2xx is sent by the UAC core, outside any transaction. */
  async sendAck(request: SipRequest, target: OutboundTarget): Promise<void> {
    const dest = await nextHop(request, target);
    if (!request.hasRoute) request.uri = stripAlias(request.uri);
    request.headers.prepend('Via', this.layer.viaValue(dest, generateBranch()));
    await this.layer.sendStateless(request, dest);
  }
}

/** The top Route, else the Request-URI (RFC 3261 §8.1.2); the party's NAT source when neither resolves. */
async function nextHop(request: SipRequest, target: OutboundTarget): Promise<Destination> {
  const routes = request.headers.values('route');
  try {
    return await destinationOf(routes.length > 0 ? routeUri(routes[0]!) : request.uri);
  } catch (err) {
    if (target.source === null) throw err;
    return {
      transport: target.source.transport,
      address: target.source.host,
      port: target.source.port,
    };
  }
}
