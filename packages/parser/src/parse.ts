/**
 * parseMessage: bytes → SipRequest | SipResponse (RFC 3261 §7, §25).
 * One linear scan over the header section; offsets of every header line are
 * recorded, and only the hot headers are read.
 */
import { SipParseError } from './errors.js';
import { classifyHeaderName, HotHeader } from './header-names.js';
import { HEADER_SLOTS, SipHeaders } from './headers.js';
import { firstListComma, isTokenChar, unfold } from './grammar.js';
import { resolveLimits, type ParserLimits } from './limits.js';
import {
  parseContentLength,
  parseCSeqValue,
  parseMaxForwards,
  SipRequest,
  SipResponse,
  type HotFields,
  type SipMessage,
} from './message.js';

export interface ParseOptions {
  limits?: Partial<ParserLimits>;
  /**
   * 'datagram' (default): the bytes are one UDP datagram; without
   * Content-Length the body runs to its end, and bytes past Content-Length are
   * ignored (RFC 3261 §18.3). 'stream': the bytes are one message cut out of a
   * stream by StreamFramer; Content-Length is mandatory.
   */
  framing?: 'datagram' | 'stream';
}

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;

export function parseMessage(bytes: Uint8Array, options?: ParseOptions): SipMessage {
  const buf = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const limits = resolveLimits(options?.limits);
  const stream = options?.framing === 'stream';

  // RFC 3261 §7.5: CRLFs before the start line are ignored.
  let start = 0;
  while (start < buf.length && (buf[start] === CR || buf[start] === LF)) start++;
  if (start >= buf.length) throw new SipParseError('EMPTY_MESSAGE', 'empty message', null);
  // A response starts with "SIP/"; its errors are dropped, never answered (§16.7 has no reply to a bad response).
  const looksLikeResponse =
    buf[start] === 0x53 &&
    buf[start + 1] === 0x49 &&
    buf[start + 2] === 0x50 &&
    buf[start + 3] === 0x2f;
  try {
    return parseFrom(buf, start, limits, stream);
  } catch (err) {
    if (looksLikeResponse && err instanceof SipParseError && err.status !== undefined) {
      throw new SipParseError(err.code, err.reason, null);
    }
    throw err;
  }
}

function parseFrom(buf: Buffer, start: number, limits: ParserLimits, stream: boolean): SipMessage {
  if (buf.length - start > limits.maxMessageSize) {
    throw new SipParseError(
      'MESSAGE_TOO_LARGE',
      `message larger than ${limits.maxMessageSize} bytes`,
      413,
    );
  }
  const { headerEnd, bodyStart } = findHeaderEnd(buf, start);
  if (headerEnd < 0) throw new SipParseError('NO_HEADER_END', 'no empty line after the headers');

  const src = buf.toString('latin1', start, headerEnd);
  const n = src.length;

  // ---- start line ----
  let eol = src.indexOf('\n');
  if (eol < 0) eol = n;
  const lineEnd = eol > 0 && src.charCodeAt(eol - 1) === CR ? eol - 1 : eol;
  const startLine = src.slice(0, lineEnd);

  // ---- header lines ----
  const offs: number[] = [];
  let headerCount = 0;
  let viaCount = 0;
  let callId: string | null = null;
  let cseqText: string | null = null;
  let mfText: string | null = null;
  let clText: string | null = null;

  let p = eol + 1;
  let cur = -1; // slot base of the header being read (for continuations)
  while (p < n) {
    let e = src.indexOf('\n', p);
    if (e < 0) e = n;
    let le = e > p && src.charCodeAt(e - 1) === CR ? e - 1 : e;
    const c0 = src.charCodeAt(p);
    if (c0 === SP || c0 === HT) {
      // RFC 3261 §7.3.1: a line starting with whitespace continues the previous header
      if (cur < 0) throw new SipParseError('BAD_HEADER', 'continuation line before any header');
      while (le > p && isWs(src.charCodeAt(le - 1))) le--;
      if (le > p && !isBlank(src, p, le)) offs[cur + 4] = le;
      if (le - offs[cur + 1]! > limits.maxHeaderLineLength) {
        throw new SipParseError(
          'HEADER_TOO_LONG',
          `header line longer than ${limits.maxHeaderLineLength} bytes`,
        );
      }
      p = e + 1;
      continue;
    }
    // name
    let ne = p;
    while (ne < le && isTokenChar(src.charCodeAt(ne))) ne++;
    if (ne === p)
      throw new SipParseError('BAD_HEADER', `bad header line "${clip(src.slice(p, le))}"`);
    let colon = ne;
    while (colon < le && isWs(src.charCodeAt(colon))) colon++;
    if (src.charCodeAt(colon) !== 0x3a) {
      throw new SipParseError('BAD_HEADER', `bad header line "${clip(src.slice(p, le))}"`);
    }
    let vs = colon + 1;
    while (vs < le && isWs(src.charCodeAt(vs))) vs++;
    let ve = le;
    while (ve > vs && isWs(src.charCodeAt(ve - 1))) ve--;
    if (le - p > limits.maxHeaderLineLength) {
      throw new SipParseError(
        'HEADER_TOO_LONG',
        `header line longer than ${limits.maxHeaderLineLength} bytes`,
      );
    }
    if (++headerCount > limits.maxHeaders) {
      throw new SipParseError('TOO_MANY_HEADERS', `more than ${limits.maxHeaders} headers`);
    }
    const hot = classifyHeaderName(src, p, ne);
    cur = offs.length;
    offs.push(hot, p, ne, vs, ve);
    p = e + 1;
  }

  // hot values (read after the loop so folded continuations are included)
  for (let b = 0; b < offs.length; b += HEADER_SLOTS) {
    const hot = offs[b]!;
    if (hot === HotHeader.Other) continue;
    switch (hot) {
      case HotHeader.Via: {
        const v = src.slice(offs[b + 3], offs[b + 4]);
        viaCount += 1;
        if (v.indexOf(',') >= 0) viaCount += countExtraValues(v);
        if (viaCount > limits.maxVia)
          throw new SipParseError('TOO_MANY_VIA', `more than ${limits.maxVia} Via values`);
        break;
      }
      case HotHeader.CallId:
        callId ??= unfold(src.slice(offs[b + 3], offs[b + 4]));
        break;
      case HotHeader.CSeq:
        cseqText ??= src.slice(offs[b + 3], offs[b + 4]);
        break;
      case HotHeader.MaxForwards:
        mfText ??= src.slice(offs[b + 3], offs[b + 4]);
        break;
      case HotHeader.ContentLength: {
        const v = src.slice(offs[b + 3], offs[b + 4]);
        // RFC 4475 §3.1.2.11 (mcl01): several differing Content-Length values → 400
        if (clText !== null && clText.trim() !== v.trim()) {
          throw new SipParseError('BAD_CONTENT_LENGTH', 'multiple Content-Length values');
        }
        clText = v;
        break;
      }
      default:
        break;
    }
  }

  const hotFields: HotFields = {
    callId: callId === null ? '' : callId,
    cseq: cseqText === null ? null : parseCSeqValue(cseqText),
    maxForwards: mfText === null ? null : parseMaxForwards(mfText),
    contentLength: clText === null ? null : parseContentLength(clText),
  };

  // ---- body ----
  const available = buf.length - bodyStart;
  let body: Buffer;
  let truncatedBy = 0;
  const cl = hotFields.contentLength;
  if (cl === null) {
    if (stream)
      throw new SipParseError(
        'MISSING_CONTENT_LENGTH',
        'Content-Length is mandatory on a stream transport',
      );
    body = buf.subarray(bodyStart);
  } else if (cl <= available) {
    body = buf.subarray(bodyStart, bodyStart + cl);
  } else {
    body = buf.subarray(bodyStart);
    truncatedBy = cl - available;
  }

  const headers = new SipHeaders(src, offs);
  const source = buf.subarray(start, bodyStart + body.length);
  const headerOffset = eol + 1;
  const msg = buildStartLine(startLine, headers, body, source, headerOffset, hotFields, limits);
  msg.truncatedBy = truncatedBy;
  return msg;
}

function buildStartLine(
  line: string,
  headers: SipHeaders,
  body: Buffer,
  source: Buffer,
  headerOffset: number,
  hot: HotFields,
  limits: ParserLimits,
): SipMessage {
  if (line.startsWith('SIP/') || /^sip\//i.test(line)) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 §7.2)
    const sp1 = line.indexOf(' ');
    if (sp1 < 0) throw new SipParseError('BAD_START_LINE', 'bad status line', null);
    const version = line.slice(0, sp1);
    checkVersion(version);
    const sp2 = line.indexOf(' ', sp1 + 1);
    const codeText = sp2 < 0 ? line.slice(sp1 + 1) : line.slice(sp1 + 1, sp2);
    if (!/^[1-6][0-9][0-9]$/.test(codeText)) {
      throw new SipParseError('BAD_STATUS_CODE', `bad status code "${clip(codeText)}"`, null);
    }
    const reason = sp2 < 0 ? '' : line.slice(sp2 + 1);
    return new SipResponse(
      Number(codeText),
      reason,
      headers,
      body,
      source,
      headerOffset,
      hot,
      version,
    );
  }
  // Request-Line = Method SP Request-URI SP SIP-Version (RFC 3261 §7.1): exactly
  // single spaces; RFC 4475 §3.1.2.5/§3.1.2.6 (lwsruri, lwsstart) are rejected.
  const sp1 = line.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || line.indexOf(' ', sp2 + 1) >= 0 || line.indexOf('\t') >= 0) {
    throw new SipParseError('BAD_START_LINE', `bad request line "${clip(line)}"`);
  }
  const method = line.slice(0, sp1);
  for (let i = 0; i < method.length; i++) {
    if (!isTokenChar(method.charCodeAt(i)))
      throw new SipParseError('BAD_METHOD', `bad method "${clip(method)}"`);
  }
  const uri = line.slice(sp1 + 1, sp2);
  if (uri.length === 0) throw new SipParseError('BAD_START_LINE', 'empty Request-URI');
  if (uri.length > limits.maxUriLength) {
    throw new SipParseError('URI_TOO_LONG', `Request-URI longer than ${limits.maxUriLength}`, 414);
  }
  const version = line.slice(sp2 + 1);
  checkVersion(version);
  return new SipRequest(method, uri, headers, body, source, headerOffset, hot, version);
}

function checkVersion(version: string): void {
  if (version === 'SIP/2.0') return;
  const m = /^SIP\/(\d+)\.(\d+)$/i.exec(version);
  if (m === null) throw new SipParseError('BAD_START_LINE', `bad SIP version "${clip(version)}"`);
  // RFC 3261 §8.2.2 and RFC 4475 §3.1.2.16 (badvers): another version → 505
  if (m[1] !== '2' || m[2] !== '0')
    throw new SipParseError('BAD_VERSION', `unsupported version ${version}`, 505);
}

/**
 * End of the header section: the index where the empty line starts and the
 * index where the body starts. Accepts CRLF CRLF and, leniently, LF LF.
 */
export function findHeaderEnd(buf: Buffer, from: number): { headerEnd: number; bodyStart: number } {
  const crlf = buf.indexOf('\r\n\r\n', from, 'latin1');
  const lflf = buf.indexOf('\n\n', from, 'latin1');
  if (crlf >= 0 && (lflf < 0 || crlf + 1 <= lflf))
    return { headerEnd: crlf + 2, bodyStart: crlf + 4 };
  if (lflf >= 0) {
    // "\n\r\n" (mixed) also ends headers
    return { headerEnd: lflf + 1, bodyStart: lflf + 2 };
  }
  const mixed = buf.indexOf('\n\r\n', from, 'latin1');
  if (mixed >= 0) return { headerEnd: mixed + 1, bodyStart: mixed + 3 };
  return { headerEnd: -1, bodyStart: -1 };
}

function countExtraValues(v: string): number {
  let extra = 0;
  let i = firstListComma(v);
  while (i >= 0) {
    extra++;
    i = firstListComma(v, i + 1);
  }
  return extra;
}

function isWs(c: number): boolean {
  return c === SP || c === HT;
}

function isBlank(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isWs(s.charCodeAt(i))) return false;
  return true;
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
