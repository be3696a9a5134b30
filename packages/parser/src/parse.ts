/**
 * parseMessage: bytes → SipRequest | SipResponse (RFC 3261 §7, §25).
 * One linear scan over the header section; offsets of every header line are
 * recorded, and only the hot headers are read.
 */
import { Buffer } from 'node:buffer';
import { SipParseError } from './errors.js';
import { classifyHeaderKey, HotHeader } from './header-names.js';
import { HEADER_SLOTS, SipHeaders } from './headers.js';
import { isTokenChar, parseDecimal, unfold } from './grammar.js';
import { latin1Text } from './latin1.js';
import { DEFAULT_LIMITS, resolveLimits, type ParserLimits } from './limits.js';
import {
  MAX_CSEQ,
  parseCSeqValue,
  SipRequest,
  SipResponse,
  type CSeq,
  type HotFields,
  type SipMessage,
} from './message.js';
import { checkAddressList, isLwsChar } from './syntax.js';
import { checkMessageSyntax } from './check.js';

export interface ParseOptions {
  limits?: Partial<ParserLimits>;
  /**
   * 'datagram' (default): the bytes are one UDP datagram; without
   * Content-Length the body runs to its end, and bytes past Content-Length are
   * ignored (RFC 3261 §18.3). 'stream': the bytes are one message cut out of a
   * stream by StreamFramer; Content-Length is mandatory.
   */
  framing?: 'datagram' | 'stream';
  /**
   * Also check the grammar of the Request-URI and of every Via, From, To,
   * Contact, Route, Record-Route and Date value before returning (what
   * validateRequest / validateResponse otherwise do first). Default false: the
   * hot path only locates those headers.
   */
  strict?: boolean;
}

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;

export function parseMessage(bytes: Uint8Array, options?: ParseOptions): SipMessage {
  const buf = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const limits = options?.limits === undefined ? DEFAULT_LIMITS : resolveLimits(options.limits);
  const stream = options?.framing === 'stream';
  const strict = options?.strict === true;

  // RFC 3261 §7.5: CRLFs before the start line are ignored.
  let start = 0;
  while (start < buf.length && (buf[start] === CR || buf[start] === LF)) start++;
  if (start >= buf.length) throw new SipParseError('EMPTY_MESSAGE', 'empty message', null);
  try {
    const msg = parseFrom(buf, start, limits, stream);
    if (strict) checkMessageSyntax(msg, limits.maxUriLength);
    return msg;
  } catch (err) {
    if (!(err instanceof SipParseError)) {
      // a bug, not the input's fault; still never leak another error type
      throw new SipParseError('BAD_HEADER', `unparsable message (${String(err)})`);
    }
    // A response starts with "SIP/": its errors are dropped, never answered
    // (RFC 3261 §16.7 has no reply to a bad response; RFC 4475 §3.1.2.19).
    if (
      err.status !== undefined &&
      buf[start] === 0x53 &&
      buf[start + 1] === 0x49 &&
      buf[start + 2] === 0x50 &&
      buf[start + 3] === 0x2f
    ) {
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
  // The whole datagram as latin1 text (offsets equal byte offsets): the line
  // loop finds the empty line itself, so no separate search for CRLFCRLF.
  const src = latin1Text(buf, start, buf.length);
  // The same bytes for the character tests: a Uint8Array load is cheaper than
  // charCodeAt, which must dispatch on the string's representation.
  const bytes = start === 0 ? buf : buf.subarray(start);
  let n = src.length;
  let bodyStart = -1;

  // ---- start line ----
  const eol = src.indexOf('\n');
  if (eol < 0) throw noHeaderEnd();
  const lineEnd = eol > 0 && bytes[eol - 1] === CR ? eol - 1 : eol;

  // ---- header lines: one pass, offsets only ----
  const offs = SCRATCH;
  let k = 0; // slots written
  let p = eol + 1;
  let cur = -1; // slot base of the header being read (for continuations)
  let folded = false; // a continuation line was seen: values may hold line breaks
  const maxLine = limits.maxHeaderLineLength;
  const maxSlots = limits.maxHeaders * HEADER_SLOTS;
  while (p < n) {
    const e = src.indexOf('\n', p);
    // a last line without LF: there is no empty line after the headers
    if (e < 0) throw noHeaderEnd();
    let le = e > p && bytes[e - 1] === CR ? e - 1 : e;
    if (le === p) {
      // the empty line (CRLF or, leniently, LF): the body follows it
      bodyStart = start + e + 1;
      n = p;
      break;
    }
    const c0 = bytes[p]!;
    if (c0 === SP || c0 === HT) {
      // RFC 3261 §7.3.1: a line starting with whitespace continues the previous header
      if (cur < 0)
        throw lineError(
          src,
          new SipParseError('BAD_HEADER', 'continuation line before any header'),
        );
      folded = true;
      while (le > p && isWs(bytes[le - 1]!)) le--;
      if (le > p) offs[cur + 4] = le;
      if (offs[cur + 4]! - offs[cur + 1]! > maxLine) throw lineError(src, headerTooLong(limits));
      p = e + 1;
      continue;
    }
    // field-name = token, then optional WSP, then ":" (RFC 3261 §7.3.1); the
    // name is packed into its classification key as it is scanned
    let ne = p;
    let k0 = 0;
    let k1 = 0;
    let k2 = 0;
    let k3 = 0;
    while (ne < le) {
      const c = bytes[ne]!;
      if (!isTokenChar(c)) break;
      // 7 bits per character, four per part (see headerNameKey); a part of
      // a name longer than 16 wraps, and such a name is never classified
      const x = ne - p;
      if (x < 4) k0 = (k0 << 7) | c | 0x20;
      else if (x < 8) k1 = (k1 << 7) | c | 0x20;
      else if (x < 12) k2 = (k2 << 7) | c | 0x20;
      else k3 = (k3 << 7) | c | 0x20;
      ne++;
    }
    let colon = ne;
    while (colon < le && isWs(bytes[colon]!)) colon++;
    if (ne === p || colon >= le || bytes[colon] !== 0x3a) {
      throw lineError(
        src,
        new SipParseError('BAD_HEADER', `bad header line "${clip(src.slice(p, le))}"`),
      );
    }
    let vs = colon + 1;
    while (vs < le && isWs(bytes[vs]!)) vs++;
    let ve = le;
    while (ve > vs && isWs(bytes[ve - 1]!)) ve--;
    if (le - p > maxLine) throw lineError(src, headerTooLong(limits));
    if (k >= maxSlots) {
      throw lineError(
        src,
        new SipParseError('TOO_MANY_HEADERS', `more than ${limits.maxHeaders} headers`),
      );
    }
    cur = k;
    offs[k] = ne - p > 14 ? HotHeader.Other : classifyHeaderKey(ne - p, k0, k1, k2, k3);
    offs[k + 1] = p;
    offs[k + 2] = ne;
    offs[k + 3] = vs;
    offs[k + 4] = ve;
    k += HEADER_SLOTS;
    p = e + 1;
  }
  if (bodyStart < 0) throw noHeaderEnd();

  // ---- hot values, read after the loop so folded continuations are included ----
  let viaCount = 0;
  let callId: string | null = null;
  let cseq: CSeq | null = null;
  let maxForwards: number | null = null;
  let contentLength: number | null = null;
  let conflictingLength = false;
  const maxUri = limits.maxUriLength;
  for (let b = 0; b < k; b += HEADER_SLOTS) {
    const hot = offs[b] as HotHeader;
    if (hot === HotHeader.Other) continue;
    const vs = offs[b + 3]!;
    const ve = offs[b + 4]!;
    switch (hot) {
      case HotHeader.Via:
        // only counted here (the Via limit); its grammar is checked by
        // topViaRaw on first read and by validateRequest / validateResponse
        viaCount += countListValues(src, vs, ve);
        if (viaCount > limits.maxVia)
          throw new SipParseError('TOO_MANY_VIA', `more than ${limits.maxVia} Via values`);
        break;
      case HotHeader.CallId:
        if (callId === null) {
          callId = src.slice(vs, ve);
          if (folded && callId.indexOf('\n') >= 0) callId = unfold(callId);
        }
        break;
      case HotHeader.CSeq:
        cseq ??= parseCSeqAt(bytes, src, vs, ve);
        break;
      case HotHeader.MaxForwards:
        // Max-Forwards = 1*DIGIT (RFC 3261 §20.22); proxies use 0-255
        if (maxForwards === null) {
          maxForwards = decimalAt(bytes, src, vs, ve, 255);
          if (maxForwards < 0)
            throw new SipParseError(
              'BAD_MAX_FORWARDS',
              `bad Max-Forwards "${clip(src.slice(vs, ve))}"`,
            );
        }
        break;
      case HotHeader.ContentLength: {
        const v = decimalAt(bytes, src, vs, ve, 2 ** 31 - 1);
        if (v < 0)
          throw new SipParseError(
            'BAD_CONTENT_LENGTH',
            `bad Content-Length "${clip(src.slice(vs, ve))}"`,
          );
        // RFC 4475 §3.3.9 (mcl01): conflicting values make the framing unknowable;
        // on a datagram the request is answered 400 by validateRequest
        if (contentLength === null) contentLength = v;
        else if (contentLength !== v) conflictingLength = true;
        break;
      }
      case HotHeader.From:
      case HotHeader.To:
      case HotHeader.Contact:
      case HotHeader.Route:
      case HotHeader.RecordRoute:
        // The URI length limit holds at parse time; a value that long is
        // rare, so it alone pays for the scan that finds the URI in it.
        if (ve - vs > maxUri) checkAddressList(src, vs, ve, true, true, maxUri);
        break;
      default:
        break;
    }
  }

  // ---- body (RFC 3261 §18.3) ----
  // Only its length is decided here: the message creates the body (a view of
  // the source) when someone reads it.
  const available = buf.length - bodyStart;
  let bodyLength = available;
  let truncatedBy = 0;
  if (conflictingLength) {
    if (stream) throw new SipParseError('BAD_CONTENT_LENGTH', 'multiple Content-Length values');
  } else if (contentLength === null) {
    if (stream)
      throw new SipParseError(
        'MISSING_CONTENT_LENGTH',
        'Content-Length is mandatory on a stream transport',
      );
  } else if (contentLength <= available) {
    bodyLength = contentLength;
  } else {
    truncatedBy = contentLength - available;
  }

  const hotFields: HotFields = {
    callId: callId ?? '',
    cseq,
    maxForwards,
    contentLength,
  };
  // n: where the empty line starts, just after the last header line's end
  const headers = new SipHeaders(src, offs.slice(0, k), n);
  // a message with thousands of headers (custom limits) must not pin that
  // much scratch space for the rest of the process
  if (k > SCRATCH_KEEP) SCRATCH.length = 0;
  // the common datagram is exactly one message: its buffer is the source
  const end = bodyStart + bodyLength;
  const source = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
  const msg = buildStartLine(
    bytes,
    src,
    lineEnd,
    headers,
    source,
    bodyStart - start,
    eol + 1,
    hotFields,
    limits,
  );
  msg.truncatedBy = truncatedBy;
  msg.conflictingContentLength = conflictingLength;
  return msg;
}

/**
 * Header slots of the message being parsed (parseMessage is synchronous and
 * not re-entered): written in place while scanning, then copied once into an
 * array of the exact size for the message, instead of growing one per message.
 */
const SCRATCH: number[] = [];
/** Slots the scratch array keeps between messages (the default header limit's worth). */
const SCRATCH_KEEP = 256 * HEADER_SLOTS;

/** The placeholder body handed to the constructor (the real one is created lazily). */
const EMPTY_BODY = Buffer.alloc(0);

function noHeaderEnd(): SipParseError {
  return new SipParseError('NO_HEADER_END', 'no empty line after the headers');
}

/**
 * A bad header line is reported as such only when an empty line ends the
 * header section somewhere; without one the message is NO_HEADER_END, as
 * when the end of the headers was searched for first.
 */
function lineError(src: string, err: SipParseError): SipParseError {
  return src.indexOf('\n\r\n') >= 0 || src.indexOf('\n\n') >= 0 ? err : noHeaderEnd();
}

function headerTooLong(limits: ParserLimits): SipParseError {
  return new SipParseError(
    'HEADER_TOO_LONG',
    `header line longer than ${limits.maxHeaderLineLength} bytes`,
  );
}

function buildStartLine(
  bytes: Uint8Array,
  src: string,
  lineEnd: number,
  headers: SipHeaders,
  source: Buffer,
  bodyOffset: number,
  headerOffset: number,
  hot: HotFields,
  limits: ParserLimits,
): SipMessage {
  if (
    (bytes[0]! | 0x20) === 0x73 &&
    (bytes[1]! | 0x20) === 0x69 &&
    (bytes[2]! | 0x20) === 0x70 &&
    bytes[3] === 0x2f
  ) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF (RFC 3261 §7.2)
    const sp1 = src.indexOf(' ');
    if (sp1 < 0 || sp1 >= lineEnd)
      throw new SipParseError('BAD_START_LINE', 'bad status line', null);
    const version = versionAt(bytes, src, 0, sp1);
    let sp2 = src.indexOf(' ', sp1 + 1);
    if (sp2 >= lineEnd) sp2 = -1;
    const codeEnd = sp2 < 0 ? lineEnd : sp2;
    // Status-Code = 3DIGIT; RFC 4475 §3.1.2.19 (bigcode): anything else is dropped
    const status = statusCodeAt(bytes, sp1 + 1, codeEnd);
    if (status < 0) {
      const codeText = src.slice(sp1 + 1, codeEnd);
      throw new SipParseError('BAD_STATUS_CODE', `bad status code "${clip(codeText)}"`, null);
    }
    // Reason-Phrase = *(reserved / unreserved / escaped / UTF8-NONASCII / UTF8-CONT / SP / HTAB)
    let reason = '';
    if (sp2 >= 0) {
      for (let i = sp2 + 1; i < lineEnd; i++) {
        const c = bytes[i]!;
        if ((c < 0x20 && c !== HT) || c === 0x7f)
          throw new SipParseError('BAD_START_LINE', 'control character in reason phrase', null);
      }
      reason = src.slice(sp2 + 1, lineEnd);
    }
    return new SipResponse(
      status,
      reason,
      headers,
      EMPTY_BODY,
      source,
      headerOffset,
      hot,
      version,
      bodyOffset,
    );
  }
  // Request-Line = Method SP Request-URI SP SIP-Version CRLF (RFC 3261 §7.1): exactly
  // single spaces; RFC 4475 §3.1.2.8/§3.1.2.9/§3.1.2.10 (lwsruri, lwsstart, trws) → 400
  let sp1 = 0;
  while (sp1 < lineEnd && isTokenChar(bytes[sp1]!)) sp1++;
  if (sp1 === 0 || sp1 >= lineEnd || bytes[sp1] !== SP) {
    throw new SipParseError(
      sp1 > 0 && sp1 < lineEnd && bytes[sp1] !== SP ? 'BAD_METHOD' : 'BAD_START_LINE',
      `bad request line "${clip(src.slice(0, lineEnd))}"`,
    );
  }
  const sp2 = src.indexOf(' ', sp1 + 1);
  if (sp2 < 0 || sp2 >= lineEnd || sp2 === sp1 + 1) {
    throw new SipParseError('BAD_START_LINE', `bad request line "${clip(src.slice(0, lineEnd))}"`);
  }
  if (sp2 - sp1 - 1 > limits.maxUriLength) {
    throw new SipParseError('URI_TOO_LONG', `Request-URI longer than ${limits.maxUriLength}`, 414);
  }
  const version = versionAt(bytes, src, sp2 + 1, lineEnd);
  return new SipRequest(
    src.slice(0, sp1),
    src.slice(sp1 + 1, sp2),
    headers,
    EMPTY_BODY,
    source,
    headerOffset,
    hot,
    version,
    bodyOffset,
  );
}

/** The SIP-Version in src[from, to): "SIP/2.0" without a copy, else checked and cut. */
function versionAt(bytes: Uint8Array, src: string, from: number, to: number): string {
  if (
    to - from === 7 &&
    bytes[from] === 0x53 &&
    bytes[from + 1] === 0x49 &&
    bytes[from + 2] === 0x50 &&
    bytes[from + 3] === 0x2f &&
    bytes[from + 4] === 0x32 &&
    bytes[from + 5] === 0x2e &&
    bytes[from + 6] === 0x30
  )
    return 'SIP/2.0';
  const version = src.slice(from, to);
  checkVersion(version);
  return version;
}

/** Status-Code = 3DIGIT with the first digit 1-6, in bytes[from, to); or -1. */
function statusCodeAt(bytes: Uint8Array, from: number, to: number): number {
  if (to - from !== 3) return -1;
  const c0 = bytes[from]! - 0x30;
  const c1 = bytes[from + 1]! - 0x30;
  const c2 = bytes[from + 2]! - 0x30;
  if (c0 < 1 || c0 > 6 || c1 < 0 || c1 > 9 || c2 < 0 || c2 > 9) return -1;
  return c0 * 100 + c1 * 10 + c2;
}

/**
 * SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT. Any such version parses; a
 * version other than 2.0 is answered 505 by validateRequest (RFC 3261 §8.2.2;
 * RFC 4475 §3.1.2.16 badvers: "The element should respond to the request
 * with a 505 Version Not Supported error").
 */
function checkVersion(version: string): void {
  if (version === 'SIP/2.0') return;
  if (!/^SIP\/[0-9]{1,4}\.[0-9]{1,4}$/i.test(version))
    throw new SipParseError('BAD_START_LINE', `bad SIP version "${clip(version)}"`);
}

/** CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16), read in place (bytes[i] is src[i]). */
function parseCSeqAt(bytes: Uint8Array, src: string, vs: number, ve: number): CSeq {
  let i = vs;
  while (i < ve) {
    const c = bytes[i]!;
    if (c < 0x30 || c > 0x39) break;
    i++;
  }
  const seq = i === vs ? -1 : decimalAt(bytes, src, vs, i, MAX_CSEQ);
  let m = i;
  while (m < ve && isLwsChar(bytes[m]!)) m++;
  const ms = m;
  while (m < ve && isTokenChar(bytes[m]!)) m++;
  if (seq < 0 || m !== ve || ms === m || ms === i) return parseCSeqValue(src.slice(vs, ve));
  return { seq, method: src.slice(ms, m) };
}

/**
 * Number of comma-separated values in src[vs, ve) (commas inside quoted
 * strings do not count): the Via limit needs no grammar.
 */
function countListValues(src: string, vs: number, ve: number): number {
  const comma = src.indexOf(',', vs);
  if (comma < 0 || comma >= ve) return 1;
  let n = 1;
  let inQuote = false;
  for (let i = vs; i < ve; i++) {
    const c = src.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inQuote = false;
    } else if (c === 0x22) inQuote = true;
    else if (c === 0x2c) n++;
  }
  return n;
}

/** A decimal in src[from, to) (bytes[i] is src[i]) no larger than max, or -1. */
function decimalAt(bytes: Uint8Array, src: string, from: number, to: number, max: number): number {
  if (to <= from || to - from > 16) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = bytes[i]! - 0x30;
    // a folded value ("1\r\n 2" is not a number, but "\r\n 12" is): slow path
    if (d < 0 || d > 9) return parseDecimal(unfold(src.slice(from, to)).trim(), max);
    v = v * 10 + d;
  }
  return v > max ? -1 : v;
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

function isWs(c: number): boolean {
  return c === SP || c === HT;
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
