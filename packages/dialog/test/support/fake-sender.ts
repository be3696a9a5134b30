import type { SipRequest } from '@strata/parser';
import type {
  DialogRequestSender,
  OutboundTarget,
  SendOutcome,
} from '../../src/ports/request-sender.js';

export interface SentRequest {
  readonly request: SipRequest;
  readonly target: OutboundTarget;
}

/** Records what the dialog layer sends and answers as told (per side and method). */
export class FakeSender implements DialogRequestSender {
  readonly sent: SentRequest[] = [];
  readonly acks: SentRequest[] = [];
  private readonly answers = new Map<string, SendOutcome>();

  /** How `side` answers `method` from now on (default 200). */
  answer(side: 'caller' | 'callee', method: string, outcome: SendOutcome): void {
    this.answers.set(`${side} ${method}`, outcome);
  }

  send(request: SipRequest, target: OutboundTarget): Promise<SendOutcome> {
    this.sent.push({ request, target });
    return Promise.resolve(this.answers.get(`${target.side} ${request.method}`) ?? { status: 200 });
  }

  sendAck(request: SipRequest, target: OutboundTarget): Promise<void> {
    this.acks.push({ request, target });
    return Promise.resolve();
  }

  of(method: string, side?: 'caller' | 'callee'): SentRequest[] {
    return this.sent.filter(
      (s) => s.request.method === method && (side === undefined || s.target.side === side),
    );
  }
}
