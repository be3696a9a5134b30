/** Building responses and editing the route-related headers of a message. */
import { randomBytes } from 'node:crypto';
import { reasonPhrase } from './errors.js';
import { HotHeader } from './header-names.js';
import { SipHeaders } from './headers.js';
import { SipResponse, type SipMessage, type SipRequest } from './message.js';

/** A fresh tag (RFC 3261 §19.3: at least 32 bits of randomness). */
export function generateTag(): string {
  return randomBytes(6).toString('hex');
}

/** A fresh branch with the RFC 3261 magic cookie (§8.1.1.7). */
export function generateBranch(): string {
  return `z9hG4bK${randomBytes(9).toString('base64url')}`;
}

export interface CreateResponseOptions {
  /** To-tag to add when the request's To has none (default: a fresh tag for status > 100) */
  toTag?: string;
  /** extra header lines, in order */
  headers?: [string, string][];
  body?: Buffer | string;
  contentType?: string;
}

/**
 * RFC 3261 §8.2.6: the response copies Via (all, in order), From, To, Call-ID
 * and CSeq; adds a To tag when the request had none (except for 100, §8.2.6.2);
 * copies Timestamp into a 100 (§8.2.6.1).
 */
export function createResponse(
  request: SipRequest,
  status: number,
  reason?: string,
  options: CreateResponseOptions = {},
): SipResponse {
  const headers = SipHeaders.empty();
  const rh = request.headers;
  for (const v of rh.getAll('via')) headers.append('Via', v);
  const from = rh.getHot(HotHeader.From);
  if (from !== undefined) headers.append('From', from);
  const to = rh.getHot(HotHeader.To);
  if (to !== undefined) {
    const needsTag = status > 100 && !hasTagParam(to);
    headers.append('To', needsTag ? `${to};tag=${options.toTag ?? generateTag()}` : to);
  }
  headers.append('Call-ID', request.callId);
  const cseq = rh.getHot(HotHeader.CSeq);
  if (cseq !== undefined) headers.append('CSeq', cseq);
  if (status === 100) {
    const ts = rh.get('timestamp');
    if (ts !== undefined) headers.append('Timestamp', ts);
  }
  for (const [name, value] of options.headers ?? []) headers.append(name, value);
  const body =
    options.body === undefined
      ? Buffer.alloc(0)
      : typeof options.body === 'string'
        ? Buffer.from(options.body)
        : options.body;
  if (options.contentType !== undefined && body.length > 0)
    headers.append('Content-Type', options.contentType);
  headers.append('Content-Length', String(body.length));
  return new SipResponse(status, reason ?? reasonPhrase(status), headers, body);
}

function hasTagParam(nameAddr: string): boolean {
  // the tag is a header param: after '>' when there are brackets, else anywhere after the URI
  const gt = nameAddr.lastIndexOf('>');
  const params = gt >= 0 ? nameAddr.slice(gt + 1) : nameAddr;
  return /;\s*tag\s*=/i.test(params);
}

/** Push a Via on top (a proxy's own, RFC 3261 §16.6 item 8). */
export function pushVia(msg: SipMessage, value: string): void {
  msg.headers.prepend('Via', value);
}

/** Pop the top Via value (a proxy's own, from a response, §16.7 item 3). */
export function popVia(msg: SipMessage): string | undefined {
  return msg.headers.removeFirstValue('via');
}

/** Push a Record-Route on top (§16.6 item 4). */
export function pushRecordRoute(msg: SipMessage, value: string): void {
  msg.headers.prepend('Record-Route', value);
}

/** Push a Route on top (a pre-loaded route, §16.6 item 7). */
export function pushRoute(msg: SipMessage, value: string): void {
  msg.headers.prepend('Route', value);
}

/** Pop the top Route value (loose routing, §16.4). */
export function popRoute(msg: SipMessage): string | undefined {
  return msg.headers.removeFirstValue('route');
}

/**
 * Decrement Max-Forwards, adding it with 70 when absent (§16.6 item 3).
 * Returns the new value.
 */
export function decrementMaxForwards(msg: SipRequest, initial = 70): number {
  const current = msg.maxForwards;
  const next = current === null ? initial : Math.max(0, current - 1);
  msg.headers.set('Max-Forwards', String(next));
  return next;
}
