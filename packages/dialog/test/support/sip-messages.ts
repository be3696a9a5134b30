/**
 * Realistic SIP messages for dialog tests: built as text (CRLF line ends, exact
 * Content-Length) and parsed by @strata/parser, like the core would receive them.
 *
 * Topology: alice (caller, 192.0.2.10) → edge-1 → core-a (this proxy) → bob (callee,
 * 198.51.100.7). Both proxies record-route; the callee sees RR: core-a, edge-1.
 */
import {
  isRequest,
  isResponse,
  parseMessage,
  type SipRequest,
  type SipResponse,
} from '@strata/parser';

export const EDGE_RR = '<sip:edge-1.example.com;lr>';
export const CORE_RR = '<sip:core-a.example.com;lr>';

export interface Party {
  readonly uri: string;
  readonly contact: string;
  readonly via: string;
}

export const ALICE: Party = {
  uri: 'sip:alice@example.com',
  contact: 'sip:alice@192.0.2.10:5060',
  via: 'SIP/2.0/UDP 192.0.2.10:5060',
};
export const BOB: Party = {
  uri: 'sip:bob@example.net',
  contact: 'sip:bob@198.51.100.7:5060',
  via: 'SIP/2.0/TCP 198.51.100.7:5060',
};

let branches = 0;
function branch(): string {
  branches++;
  return `z9hG4bK-test-${branches}`;
}

function text(
  startLine: string,
  headers: readonly (readonly [string, string])[],
  body: string,
): Buffer {
  const lines = [startLine, ...headers.map(([n, v]) => `${n}: ${v}`)];
  lines.push(`Content-Length: ${Buffer.byteLength(body, 'utf8')}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'utf8');
}

export function parseRequest(bytes: Buffer): SipRequest {
  const m = parseMessage(bytes);
  if (!isRequest(m)) throw new Error('not a request');
  return m;
}

export function parseResponse(bytes: Buffer): SipResponse {
  const m = parseMessage(bytes);
  if (!isResponse(m)) throw new Error('not a response');
  return m;
}

export interface MessageExtras {
  readonly body?: string;
  readonly contentType?: string;
  readonly headers?: readonly (readonly [string, string])[];
  readonly contact?: string | null;
}

export function sdp(direction: string | null = null, address = '192.0.2.10'): string {
  const lines = [
    'v=0',
    `o=- 1 1 IN IP4 ${address}`,
    's=-',
    `c=IN IP4 ${address}`,
    't=0 0',
    'm=audio 49170 RTP/AVP 0',
    'a=rtpmap:0 PCMU/8000',
  ];
  if (direction !== null) lines.push(`a=${direction}`);
  return `${lines.join('\r\n')}\r\n`;
}

/** One call between two parties: builds its INVITE, responses and in-dialog requests. */
export class Call {
  readonly fromTag: string;
  private readonly cseqs = { caller: 1, callee: 0 };

  constructor(
    readonly callId: string,
    readonly caller: Party = ALICE,
    readonly callee: Party = BOB,
    readonly recordRoute: readonly string[] = [CORE_RR, EDGE_RR],
    fromTag = 'alice-tag',
  ) {
    this.fromTag = fromTag;
  }

  /** The INVITE as core-a receives it from edge-1 (edge's RR only so far). */
  invite(extras: MessageExtras = {}): SipRequest {
    return parseRequest(
      text(
        `INVITE ${this.callee.uri} SIP/2.0`,
        [
          ['Via', 'SIP/2.0/UDP edge-1.example.com;branch=' + branch()],
          ['Via', `${this.caller.via};branch=${branch()}`],
          ['Record-Route', EDGE_RR],
          ['Max-Forwards', '69'],
          ['From', `"Alice" <${this.caller.uri}>;tag=${this.fromTag}`],
          ['To', `<${this.callee.uri}>`],
          ['Call-ID', this.callId],
          ['CSeq', `${this.cseqs.caller} INVITE`],
          ['Contact', `<${this.caller.contact}>`],
          ...(extras.headers ?? []),
          ...(extras.body === undefined ? [] : [['Content-Type', 'application/sdp'] as const]),
        ],
        extras.body ?? '',
      ),
    );
  }

  /** A response from the callee to the INVITE (with Record-Route as the callee copied it). */
  inviteResponse(status: number, toTag: string | null, extras: MessageExtras = {}): SipResponse {
    return this.response(status, 'INVITE', this.cseqs.caller, 'caller', toTag, extras, true);
  }

  /** CANCEL of the INVITE (same CSeq number, no To tag). */
  cancel(): SipRequest {
    return parseRequest(
      text(
        `CANCEL ${this.callee.uri} SIP/2.0`,
        [
          ['Via', `${this.caller.via};branch=${branch()}`],
          ['Max-Forwards', '70'],
          ['From', `<${this.caller.uri}>;tag=${this.fromTag}`],
          ['To', `<${this.callee.uri}>`],
          ['Call-ID', this.callId],
          ['CSeq', `${this.cseqs.caller} CANCEL`],
        ],
        '',
      ),
    );
  }

  /**
   * An in-dialog request from `from`, with the next CSeq of that side (or `cseq`): tags
   * swapped when the callee sends, Route = the sender's route set (RFC 3261 §12.2.1.1).
   */
  request(
    from: 'caller' | 'callee',
    method: string,
    toTag: string,
    extras: MessageExtras & { readonly cseq?: number } = {},
  ): SipRequest {
    const seq = extras.cseq ?? (method === 'ACK' ? this.cseqs[from] : (this.cseqs[from] += 1));
    if (extras.cseq !== undefined && extras.cseq > this.cseqs[from]) this.cseqs[from] = extras.cseq;
    const sender = from === 'caller' ? this.caller : this.callee;
    const target = from === 'caller' ? this.callee : this.caller;
    const [fromTag, targetTag] = from === 'caller' ? [this.fromTag, toTag] : [toTag, this.fromTag];
    const routes = from === 'caller' ? [...this.recordRoute].reverse() : [...this.recordRoute];
    const contact = extras.contact === undefined ? sender.contact : extras.contact;
    return parseRequest(
      text(
        `${method} ${target.contact} SIP/2.0`,
        [
          ['Via', `${sender.via};branch=${branch()}`],
          ...routes.map((r) => ['Route', r] as const),
          ['Max-Forwards', '70'],
          ['From', `<${sender.uri}>;tag=${fromTag}`],
          ['To', `<${target.uri}>;tag=${targetTag}`],
          ['Call-ID', this.callId],
          ['CSeq', `${seq} ${method}`],
          ...(contact === null ? [] : [['Contact', `<${contact}>`] as const]),
          ...(extras.headers ?? []),
          ...(extras.body === undefined
            ? []
            : [['Content-Type', extras.contentType ?? 'application/sdp'] as const]),
        ],
        extras.body ?? '',
      ),
    );
  }

  /** The response to an in-dialog request `req` (sent by the other side). */
  answer(req: SipRequest, status: number, extras: MessageExtras = {}): SipResponse {
    const from: 'caller' | 'callee' = req.fromTag === this.fromTag ? 'caller' : 'callee';
    const toTag = req.toTag;
    return this.response(status, req.method, req.cseq.seq, from, toTag, extras, false, req);
  }

  private response(
    status: number,
    method: string,
    seq: number,
    requester: 'caller' | 'callee',
    toTag: string | null,
    extras: MessageExtras,
    withRecordRoute: boolean,
    req?: SipRequest,
  ): SipResponse {
    const answerer = requester === 'caller' ? this.callee : this.caller;
    const requesterParty = requester === 'caller' ? this.caller : this.callee;
    const [fromTag, toTagOut] =
      requester === 'caller' ? [this.fromTag, toTag] : [req?.fromTag ?? '', this.fromTag];
    const reason = REASONS[status] ?? 'Whatever';
    const contact = extras.contact === undefined ? answerer.contact : extras.contact;
    const establishes = status > 100 && status < 300;
    return parseResponse(
      text(
        `SIP/2.0 ${status} ${reason}`,
        [
          ['Via', `${requesterParty.via};branch=${branch()}`],
          ...(withRecordRoute && establishes
            ? this.recordRoute.map((r) => ['Record-Route', r] as const)
            : []),
          ['From', `<${requesterParty.uri}>;tag=${fromTag}`],
          ['To', toTagOut === null ? `<${answerer.uri}>` : `<${answerer.uri}>;tag=${toTagOut}`],
          ['Call-ID', this.callId],
          ['CSeq', `${seq} ${method}`],
          ...(contact === null || !establishes ? [] : [['Contact', `<${contact}>`] as const]),
          ...(extras.headers ?? []),
          ...(extras.body === undefined
            ? []
            : [['Content-Type', extras.contentType ?? 'application/sdp'] as const]),
        ],
        extras.body ?? '',
      ),
    );
  }
}

const REASONS: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  481: 'Call/Transaction Does Not Exist',
  486: 'Busy Here',
  487: 'Request Terminated',
  603: 'Decline',
};
