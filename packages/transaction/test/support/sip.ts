/** Raw SIP message builders and a scripted peer for the tests. */
import { createResponse, type SipMessage, type SipRequest, type SipResponse } from '@strata/parser';
import type { MessageSource, TransportProtocol } from '@strata/transport';
import type { LoopNetwork, LoopTransport } from './loop-transport.js';

export interface RequestSpec {
  method: string;
  uri?: string;
  callId?: string;
  cseq?: number;
  branch?: string;
  /** full top Via value; overrides host/port/branch */
  via?: string;
  viaHost?: string;
  viaPort?: number;
  transport?: TransportProtocol;
  fromTag?: string;
  toTag?: string | null;
  maxForwards?: number | null;
  headers?: [string, string][];
  body?: string;
}

let seq = 0;
export function uniq(prefix: string): string {
  return `${prefix}${++seq}`;
}

export function requestText(spec: RequestSpec): string {
  const transport = (spec.transport ?? 'udp').toUpperCase();
  const via =
    spec.via ??
    `SIP/2.0/${transport} ${spec.viaHost ?? '10.0.0.1'}:${spec.viaPort ?? 5060};branch=${spec.branch ?? 'z9hG4bK' + uniq('b')}`;
  const body = spec.body ?? '';
  const lines = [`${spec.method} ${spec.uri ?? 'sip:bob@example.com'} SIP/2.0`, `Via: ${via}`];
  if (spec.maxForwards !== null) lines.push(`Max-Forwards: ${spec.maxForwards ?? 70}`);
  lines.push(
    `From: <sip:alice@example.com>;tag=${spec.fromTag ?? 'ft1'}`,
    `To: <sip:bob@example.com>${spec.toTag ? `;tag=${spec.toTag}` : ''}`,
    `Call-ID: ${spec.callId ?? 'call-1@example.com'}`,
    `CSeq: ${spec.cseq ?? 1} ${spec.method}`,
    'Contact: <sip:alice@10.0.0.1:5060>',
  );
  for (const [n, v] of spec.headers ?? []) lines.push(`${n}: ${v}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
  return lines.join('\r\n');
}

export interface Received {
  message: SipMessage;
  source: MessageSource;
}

/** A UA or server on the loop network with no transaction layer: scripted by the test. */
export class Peer {
  readonly transport: LoopTransport;
  readonly received: Received[] = [];
  /** called for each request received; return the statuses to answer with */
  answer: ((request: SipRequest) => number[] | null) | null = null;
  toTag: string;

  constructor(
    network: LoopNetwork,
    readonly address: string,
    readonly port = 5060,
  ) {
    this.transport = network.createTransport(address, port);
    this.toTag = `tt-${address.replace(/\./g, '')}`;
    this.transport.onMessage((message, source) => {
      this.received.push({ message, source });
      if (message.isRequest && this.answer !== null && message.method !== 'ACK') {
        const statuses = this.answer(message);
        if (statuses !== null) for (const s of statuses) this.reply(message, s, source);
      }
    });
  }

  requests(method?: string): SipRequest[] {
    return this.received
      .map((r) => r.message)
      .filter((m): m is SipRequest => m.isRequest && (method === undefined || m.method === method));
  }

  responses(status?: number): SipResponse[] {
    return this.received
      .map((r) => r.message)
      .filter(
        (m): m is SipResponse => !m.isRequest && (status === undefined || m.status === status),
      );
  }

  lastRequest(method: string): SipRequest {
    const all = this.requests(method);
    const last = all[all.length - 1];
    if (last === undefined) throw new Error(`${this.address} received no ${method}`);
    return last;
  }

  sourceOf(message: SipMessage): MessageSource {
    const r = this.received.find((x) => x.message === message);
    if (r === undefined) throw new Error('unknown message');
    return r.source;
  }

  /** Send raw text or a message to a node (default the proxy at 10.0.0.10:5060). */
  send(
    message: string | SipMessage,
    to: { address: string; port?: number; transport?: TransportProtocol } = PROXY,
  ): Promise<void> {
    const bytes = typeof message === 'string' ? Buffer.from(message) : message;
    return this.transport.send(bytes, {
      transport: to.transport ?? 'udp',
      address: to.address,
      port: to.port ?? 5060,
    });
  }

  /** Answer a received request (to where it came from). */
  reply(
    request: SipRequest,
    status: number,
    source: MessageSource = this.sourceOf(request),
    headers: [string, string][] = [],
  ): SipResponse {
    // a UAS copies Record-Route into responses that create a dialog (§12.1.1)
    const dialog: [string, string][] =
      request.method === 'INVITE' && status > 100 && status < 300
        ? [
            ...request.headers
              .getAll('record-route')
              .map((v): [string, string] => ['Record-Route', v]),
            ['Contact', `<sip:bob@${this.address}:${this.port}>`],
          ]
        : [];
    const response = createResponse(request, status, undefined, {
      toTag: this.toTag,
      headers: [...dialog, ...headers],
    });
    void this.transport.send(response, {
      transport: source.transport,
      address: source.address,
      port: source.port,
    });
    return response;
  }

  clear(): void {
    this.received.length = 0;
  }
}

export const PROXY = { address: '10.0.0.10', port: 5060 } as const;
