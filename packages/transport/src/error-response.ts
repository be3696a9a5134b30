/**
 * Answering a request the parser rejected (RFC 3261 §8.2: 400 for a malformed
 * request, 505, 413, 414 …). Only done when it is possible and safe:
 * - the bytes are a request (the parser gives responses no status: §16.7
 *   never answers a response),
 * - the headers needed to build a matching response can be read: Via (its top
 *   value parses), From, To, Call-ID, CSeq,
 * - it is not an ACK (§17.1.1.3: ACK never gets a response).
 * The answer goes to the packet's source only (never a Via-named third party),
 * so a forged Via cannot turn us into a reflector.
 */
import {
  createResponse,
  normalizeHeaderName,
  parseVia,
  serializeMessage,
  serializeVia,
  SipHeaders,
  SipRequest,
  type SipParseError,
} from '@strata/parser';

const NEEDED = ['via', 'from', 'to', 'call-id', 'cseq'] as const;

/**
 * Build the error response for a rejected request, or null when none may be
 * sent. `bytes` is the datagram or the header section the framer read.
 */
export function errorResponseFor(
  bytes: Uint8Array,
  error: SipParseError,
  sourceAddress: string,
  sourcePort: number,
): Buffer | null {
  if (error.status === undefined) return null;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const headEnd = text.search(/\r?\n\r?\n/);
  const head = (headEnd < 0 ? text : text.slice(0, headEnd)).replace(/^[\r\n]+/, '');
  const lines = unfoldLines(head);
  const requestLine = lines.shift();
  if (requestLine === undefined) return null;
  const sp = requestLine.indexOf(' ');
  const method = sp > 0 ? requestLine.slice(0, sp) : '';
  if (method.length === 0 || method.startsWith('SIP/') || method === 'ACK') return null;

  const headers = SipHeaders.empty();
  const seen = new Set<string>();
  let topViaDone = false;
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const lname = normalizeHeaderName(line.slice(0, colon).trim());
    if (!(NEEDED as readonly string[]).includes(lname)) continue;
    let value = line.slice(colon + 1).trim();
    if (lname === 'via' && !topViaDone) {
      // the response must reach the sender: received/rport as §18.2.1 / RFC 3581 §4 would add
      const comma = value.indexOf(',');
      const top = comma < 0 ? value : value.slice(0, comma);
      let via;
      try {
        via = parseVia(top);
      } catch {
        return null;
      }
      via.params.set('received', sourceAddress);
      if (via.params.has('rport')) via.params.set('rport', String(sourcePort));
      value = serializeVia(via) + (comma < 0 ? '' : value.slice(comma));
      topViaDone = true;
    } else if (lname !== 'via' && seen.has(lname)) {
      continue;
    }
    seen.add(lname);
    headers.append(lname, value);
  }
  for (const name of NEEDED) if (!seen.has(name)) return null;
  const cseq = headers.get('cseq') ?? '';
  if (/\bACK\s*$/i.test(cseq)) return null;

  try {
    const request = new SipRequest(method, 'sip:invalid', headers);
    const response = createResponse(request, error.status);
    return serializeMessage(response);
  } catch {
    return null;
  }
}

/** Header lines with RFC 3261 §7.3.1 continuation lines joined. */
function unfoldLines(head: string): string[] {
  const out: string[] = [];
  for (const line of head.split(/\r?\n/)) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && out.length > 0) {
      out[out.length - 1] += ` ${line.trim()}`;
    } else out.push(line);
  }
  return out;
}
