/**
 * The three measured operations, shared by the tinybench run (parse.bench.ts)
 * and the instruction-count driver (instructions.ts), so both measure the same
 * code.
 */
import sip from 'sip';
import {
  parseMessage,
  popVia,
  pushVia,
  readContacts,
  serializeMessage,
  type SipMessage,
} from '../src/index.js';
import { INVITE, OK_WITH_RR, REGISTER, RINGING } from '../test/messages.js';

export const MESSAGES: [string, Buffer][] = [
  ['INVITE+SDP', Buffer.from(INVITE, 'latin1')],
  ['180 Ringing', Buffer.from(RINGING, 'latin1')],
  ['200 OK+RR', Buffer.from(OK_WITH_RR, 'latin1')],
  ['REGISTER', Buffer.from(REGISTER, 'latin1')],
];

export const VIA = 'SIP/2.0/UDP edge1.strata.example:5060;branch=z9hG4bKe1b3a9f0c2';

/** Accumulates results so the optimiser cannot drop the work. */
export const sink = { n: 0 };

/** (a) What the stateless edge reads: Call-ID (hash key), CSeq, top Via, Max-Forwards. */
export function hot(buf: Buffer): void {
  const m = parseMessage(buf);
  sink.n += m.callId.length + m.cseq.seq + (m.topViaRaw?.length ?? 0) + (m.maxForwards ?? 0);
}

/** parseMessage alone (for the breakdown of (a): hot minus this is the accessors). */
export function parseOnly(buf: Buffer): void {
  sink.n += parseMessage(buf).headers.originalCount;
}

/** (b) Everything: every structured header and the whole header list. */
export function full(buf: Buffer): void {
  const m: SipMessage = parseMessage(buf);
  sink.n += m.callId.length + m.cseq.seq + (m.maxForwards ?? 0);
  sink.n += m.vias.length + m.from.params.size + m.to.params.size;
  const contacts = readContacts(m.headers);
  sink.n += contacts === '*' ? 1 : contacts.length;
  sink.n += m.recordRoutes.length + m.routes.length + m.headers.entries().length;
}

/** (c) A proxy's forward: parse, push its own Via, serialise. */
export function forward(buf: Buffer): void {
  const m = parseMessage(buf);
  pushVia(m, VIA);
  sink.n += serializeMessage(m).length;
}

/**
 * (d) A proxy returning a response (§16.7 item 3, §18.2.2): parse, check the
 * top Via (ours), pop it, read the next one (where the response goes).
 */
export function respond(buf: Buffer): void {
  const m = parseMessage(buf);
  sink.n += m.topVia?.port ?? 0;
  popVia(m);
  sink.n += m.topVia?.port ?? 0;
}

/** The peer, npm `sip` (kirm/sip.js): its parse of the same bytes. */
export function peerParse(buf: Buffer): void {
  const m = sip.parse(buf);
  sink.n += m === undefined ? 0 : Object.keys(m.headers).length;
}

/** The peer's forward: parse, unshift a Via, stringify. */
export function peerForward(buf: Buffer): void {
  const m = sip.parse(buf);
  if (m === undefined) return;
  m.headers.via?.unshift({
    version: '2.0',
    protocol: 'UDP',
    host: 'edge1.strata.example',
    port: 5060,
    params: { branch: 'z9hG4bKe1b3a9f0c2' },
  });
  sink.n += sip.stringify(m).length;
}

export const TASKS = {
  hot,
  full,
  forward,
  respond,
  parse: parseOnly,
  peer: peerParse,
  peerForward,
} as const;
export type TaskName = keyof typeof TASKS;
