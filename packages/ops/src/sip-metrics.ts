/**
 * SIP message counters by direction, method and status class. Every label child is
 * created up front (14 methods + OTHER, 6 classes): counting a message is a property
 * read, a Map lookup and an increment — no label objects on the hot path.
 */
import { Counter, type Registry } from 'prom-client';
import type { SipMessage } from '@strata/parser';

export const SIP_METHODS = [
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'REGISTER',
  'SUBSCRIBE',
  'NOTIFY',
  'REFER',
  'INFO',
  'UPDATE',
  'MESSAGE',
  'PRACK',
  'PUBLISH',
] as const;

const OTHER = 'OTHER';
const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', '6xx'] as const;

type Child = Counter.Internal;

interface Direction {
  requests: Map<string, Child>;
  /** method → children indexed by status class (0 = 1xx … 5 = 6xx) */
  responses: Map<string, Child[]>;
  otherRequest: Child;
  otherResponse: Child[];
}

export class SipMessageMetrics {
  private readonly in: Direction;
  private readonly out: Direction;

  constructor(registry: Registry, prefix = 'strata_') {
    const requests = new Counter({
      name: `${prefix}sip_requests_total`,
      help: 'SIP requests by direction (in = received, out = sent) and method',
      labelNames: ['direction', 'method'],
      registers: [registry],
    });
    const responses = new Counter({
      name: `${prefix}sip_responses_total`,
      help: 'SIP responses by direction, CSeq method and status class',
      labelNames: ['direction', 'method', 'class'],
      registers: [registry],
    });
    const make = (direction: 'in' | 'out'): Direction => {
      const req = new Map<string, Child>();
      const res = new Map<string, Child[]>();
      for (const method of [...SIP_METHODS, OTHER]) {
        req.set(method, requests.labels({ direction, method }));
        res.set(
          method,
          CLASSES.map((cls) => responses.labels({ direction, method, class: cls })),
        );
      }
      return {
        requests: req,
        responses: res,
        otherRequest: req.get(OTHER)!,
        otherResponse: res.get(OTHER)!,
      };
    };
    this.in = make('in');
    this.out = make('out');
  }

  received(msg: SipMessage): void {
    this.count(this.in, msg);
  }

  sent(msg: SipMessage): void {
    this.count(this.out, msg);
  }

  private count(d: Direction, msg: SipMessage): void {
    if (msg.isRequest) {
      (d.requests.get(msg.method) ?? d.otherRequest).inc();
      return;
    }
    let method = OTHER;
    try {
      method = msg.cseq.method;
    } catch {
      // a response without a CSeq is counted under OTHER
    }
    const cls = Math.floor(msg.status / 100) - 1;
    const children = d.responses.get(method) ?? d.otherResponse;
    children[cls < 0 ? 0 : cls > 5 ? 5 : cls]!.inc();
  }
}
