/** Via (RFC 3261 §20.42, §18.2.1, RFC 3581 rport). */
import { parseDecimal, parseParams, serializeParams, type Params } from './grammar.js';
import { checkViaList, isLwsChar } from './syntax.js';
import { fastVia } from './syntax-fast.js';

export interface Via {
  /** "SIP/2.0" */
  protocol: string;
  /** uppercased transport: UDP, TCP, TLS, WS, WSS, SCTP … */
  transport: string;
  /** sent-by host as written (IPv6 keeps brackets) */
  host: string;
  port: number | null;
  /** all parameters, names lowercased, values as written (branch, received, rport, maddr, ttl …) */
  params: Params;
}

/** RFC 3261 §8.1.1.7: branches that start with the magic cookie are RFC 3261 branches. */
export const MAGIC_COOKIE = 'z9hG4bK';

/** sent-protocol LWS, over text the scanner already accepted */
const PROTO_RE = /^\s*([^\s/]+)\s*\/\s*([^\s/]+)\s*\/\s*([^\s/]+)\s+/;

export function parseVia(value: string): Via {
  // the grammar is checked by the scanner parseMessage uses; then cut out the pieces
  if (!fastVia(value, 0, value.length)) checkViaList(value, 0, value.length, false);
  const m = PROTO_RE.exec(value)!;
  const protocol = `${m[1]!.toUpperCase()}/${m[2]!}`;
  const transport = m[3]!.toUpperCase();
  let i = m[0].length;
  const s = value;
  let host: string;
  if (s.charCodeAt(i) === 0x5b) {
    const close = s.indexOf(']', i);
    host = s.slice(i, close + 1);
    i = close + 1;
  } else {
    const start = i;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 0x3a || c === 0x3b || isLwsChar(c)) break;
      i++;
    }
    host = s.slice(start, i);
  }
  while (i < s.length && isLwsChar(s.charCodeAt(i))) i++;
  let port: number | null = null;
  if (s.charCodeAt(i) === 0x3a) {
    i++;
    while (i < s.length && isLwsChar(s.charCodeAt(i))) i++;
    const start = i;
    while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
    port = parseDecimal(s.slice(start, i), 65535);
  }
  const params = parseParams(s, i, 'BAD_VIA');
  return { protocol, transport, host, port, params };
}

export function serializeVia(via: Via): string {
  const port = via.port === null ? '' : `:${via.port}`;
  return `${via.protocol}/${via.transport} ${via.host}${port}${serializeParams(via.params)}`;
}

export function viaBranch(via: Via): string | null {
  return via.params.get('branch') ?? null;
}

/** sent-by host without IPv6 brackets, lowercased */
export function viaHost(via: Via): string {
  const h = via.host.charCodeAt(0) === 0x5b ? via.host.slice(1, -1) : via.host;
  return h.toLowerCase();
}

/** The port a response goes to when sent-by names none (RFC 3261 §18.2.2). */
export function defaultPort(transport: string): number {
  const t = transport.toUpperCase();
  // RFC 7118 §5: WebSocket URIs default to 80 (ws) and 443 (wss)
  return t === 'TLS' ? 5061 : t === 'WS' ? 80 : t === 'WSS' ? 443 : 5060;
}
