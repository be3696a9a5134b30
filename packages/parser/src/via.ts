/** Via (RFC 3261 §20.42, §18.2.1, RFC 3581 rport). */
import { isIPv4, isIPv6 } from 'node:net';
import { SipParseError } from './errors.js';
import { parseDecimal, parseParams, serializeParams, type Params } from './grammar.js';

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

const PROTO_RE = /^\s*([\w.!%*+`'~-]+)\s*\/\s*([\w.!%*+`'~-]+)\s*\/\s*([\w.!%*+`'~-]+)\s+/;
const HOSTNAME_RE =
  /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/;

export function parseVia(value: string): Via {
  const m = PROTO_RE.exec(value);
  if (m === null) throw new SipParseError('BAD_VIA', 'bad sent-protocol in Via');
  const protocol = `${m[1]!.toUpperCase()}/${m[2]!}`;
  const transport = m[3]!.toUpperCase();
  let i = m[0].length;
  const s = value;
  let host: string;
  if (s.charCodeAt(i) === 0x5b) {
    const close = s.indexOf(']', i);
    if (close < 0 || !isIPv6(s.slice(i + 1, close)))
      throw new SipParseError('BAD_VIA', 'bad IPv6 sent-by');
    host = s.slice(i, close + 1);
    i = close + 1;
  } else {
    const start = i;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 0x3a || c === 0x3b || c === 0x20 || c === 0x09) break;
      i++;
    }
    host = s.slice(start, i);
    if (!HOSTNAME_RE.test(host) && !isIPv4(host))
      throw new SipParseError('BAD_VIA', `bad sent-by host "${host.slice(0, 60)}"`);
  }
  while (i < s.length && (s.charCodeAt(i) === 0x20 || s.charCodeAt(i) === 0x09)) i++;
  let port: number | null = null;
  if (s.charCodeAt(i) === 0x3a) {
    i++;
    while (i < s.length && (s.charCodeAt(i) === 0x20 || s.charCodeAt(i) === 0x09)) i++;
    const start = i;
    while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
    port = parseDecimal(s.slice(start, i), 65535);
    if (port < 0) throw new SipParseError('BAD_VIA', 'bad sent-by port');
  }
  const params = parseParams(s, i, 'BAD_VIA');
  const rport = params.get('rport');
  if (rport !== undefined && rport !== null && parseDecimal(rport, 65535) < 0) {
    throw new SipParseError('BAD_VIA', 'bad rport');
  }
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
