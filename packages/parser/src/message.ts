/**
 * SipRequest / SipResponse. Hot fields (Call-ID, CSeq, Max-Forwards,
 * Content-Length) are read once by the parser and kept as plain fields;
 * everything else is parsed on first use and cached until the headers change.
 */
import { checkTopVia } from './check.js';
import { SipParseError } from './errors.js';
import { HotHeader } from './header-names.js';
import type { SipHeaders } from './headers.js';
import { parseDecimal, unfold } from './grammar.js';
import { parseNameAddr, type NameAddr } from './name-addr.js';
import { parseUri, type Uri } from './uri.js';
import { parseVia, type Via } from './via.js';
import { fastVia } from './syntax-fast.js';

export interface CSeq {
  seq: number;
  method: string;
}

/** RFC 3261 §8.1.1.5: the CSeq number is a 32-bit unsigned integer less than 2^31. */
export const MAX_CSEQ = 2 ** 31 - 1;

/** The body of a message without one. */
const NO_BODY = Buffer.alloc(0);

abstract class SipMessageBase {
  readonly headers: SipHeaders;
  /**
   * The body, or null while it is still the tail of `source` from
   * `bodyOffset` on and nobody asked for it: a forward that never reads the
   * body copies it with the source and creates no view of it.
   */
  private _body: Buffer | null;
  private readonly bodyOffset: number;
  private bodyReplaced = false;
  /**
   * Bytes the Content-Length promised that the datagram did not carry
   * (0 when complete). RFC 3261 §18.3: a UDP request that is short answers 400.
   */
  truncatedBy: number;
  /**
   * The message carried Content-Length headers with different values (RFC 4475
   * §3.3.9): the framing is unknowable, the body runs to the end of the
   * datagram, and validateRequest answers 400.
   */
  conflictingContentLength: boolean;
  /** the bytes this message was parsed from, or null when built in code */
  readonly source: Buffer | null;
  /** offset of the first header line inside `source` */
  readonly headerOffset: number;

  // hot fields, refreshed when `headers.hotFieldsVersion` moves
  private hotVersion: number;
  private _callId: string;
  private _cseq: CSeq | null;
  private _maxForwards: number | null;
  private _contentLength: number | null;
  // lazily parsed, each kept until the headers it came from are edited
  private viasVersion = -1;
  private _vias: Via[] | null = null;
  // the top Via alone, parsed from topViaRaw (see topVia)
  private topViaParsedVersion = -1;
  private _topVia: Via | undefined = undefined;
  private addressVersion = -1;
  private _from: NameAddr | null = null;
  private _to: NameAddr | null = null;
  // top Via value, checked once per Via version (see topViaRaw)
  private topViaVersion = -1;
  private _topViaRaw: string | undefined = undefined;

  constructor(
    headers: SipHeaders,
    body: Buffer,
    source: Buffer | null,
    headerOffset: number,
    hot: HotFields | null,
    bodyOffset: number,
  ) {
    this.headers = headers;
    const lazy = source !== null && bodyOffset >= 0 && bodyOffset <= source.length;
    this._body = lazy ? null : body;
    this.bodyOffset = lazy ? bodyOffset : -1;
    this.truncatedBy = 0;
    this.conflictingContentLength = false;
    this.source = source;
    this.headerOffset = headerOffset;
    this.hotVersion = headers.hotFieldsVersion;
    this._callId = hot?.callId ?? '';
    this._cseq = hot?.cseq ?? null;
    this._maxForwards = hot?.maxForwards ?? null;
    this._contentLength = hot?.contentLength ?? null;
    if (hot === null) this.hotVersion = -1;
  }

  abstract readonly isRequest: boolean;

  /** The message body (may be empty). */
  get body(): Buffer {
    if (this._body === null) {
      const source = this.source!;
      this._body = this.bodyOffset === source.length ? NO_BODY : source.subarray(this.bodyOffset);
    }
    return this._body;
  }

  set body(value: Buffer) {
    this._body = value;
    this.bodyReplaced = true;
  }

  /** Bytes in the body, without creating it. */
  get bodyLength(): number {
    return this._body === null ? this.source!.length - this.bodyOffset : this._body.length;
  }

  /** The body still is the tail of `source` (so serialisation can copy it from there). */
  get bodyInSource(): boolean {
    const source = this.source;
    if (source === null) return false;
    if (!this.bodyReplaced && this.bodyOffset >= 0) return true;
    const body = this.body;
    if (body.length === 0) return true;
    return (
      body.buffer === source.buffer &&
      body.byteOffset + body.length === source.byteOffset + source.length
    );
  }

  private refreshHot(): void {
    if (this.hotVersion === this.headers.hotFieldsVersion) return;
    const hot = readHotFields(this.headers);
    this._callId = hot.callId;
    this._cseq = hot.cseq;
    this._maxForwards = hot.maxForwards;
    this._contentLength = hot.contentLength;
    this.hotVersion = this.headers.hotFieldsVersion;
  }

  private refreshAddresses(): void {
    if (this.addressVersion === this.headers.addressVersion) return;
    this._from = null;
    this._to = null;
    this.addressVersion = this.headers.addressVersion;
  }

  get callId(): string {
    this.refreshHot();
    return this._callId;
  }

  /** CSeq; throws SipParseError when the message has none (validateRequest reports it first). */
  get cseq(): CSeq {
    this.refreshHot();
    if (this._cseq === null) throw new SipParseError('BAD_CSEQ', 'missing CSeq');
    return this._cseq;
  }

  get hasCSeq(): boolean {
    this.refreshHot();
    return this._cseq !== null;
  }

  get maxForwards(): number | null {
    this.refreshHot();
    return this._maxForwards;
  }

  get contentLength(): number | null {
    this.refreshHot();
    return this._contentLength;
  }

  /**
   * Top Via value, unparsed: what the stateless edge hashes and the transport
   * edits, without building a Via object. Its grammar is checked on the first
   * read (parseMessage only locates Via lines): a malformed top Via throws
   * SipParseError (status 400 for a request, undefined for a response).
   */
  get topViaRaw(): string | undefined {
    const version = this.headers.viaVersion;
    if (this.topViaVersion === version) return this._topViaRaw;
    // the common top Via is checked where it stands in the header text
    const checked = this.headers.firstCheckedHot(HotHeader.Via, fastVia);
    if (checked !== null) {
      this._topViaRaw = checked;
      this.topViaVersion = version;
      return checked;
    }
    const v = this.headers.getHot(HotHeader.Via);
    let top: string | undefined;
    if (v !== undefined) {
      top = v.indexOf(',') < 0 ? v.trim() : this.headers.hotValues(HotHeader.Via)[0];
      try {
        checkTopVia(top ?? '');
      } catch (err) {
        if (err instanceof SipParseError && !this.isRequest)
          throw new SipParseError(err.code, err.reason, null);
        throw err;
      }
    }
    this._topViaRaw = top;
    this.topViaVersion = version;
    return top;
  }

  /**
   * Replace the first value of the top Via line with `value`, a Via the
   * caller vouches for: the transport's received/rport edit (RFC 3261
   * §18.2.1, RFC 3581 §4) of the value topViaRaw just checked, which only
   * adds parameters taken from the socket. topViaRaw then returns it without
   * checking its grammar a second time (the edge reads it on every forward).
   * Returns false when the message has no Via.
   */
  replaceTopVia(value: string): boolean {
    if (!this.headers.replaceFirstValue('Via', value)) return false;
    this._topViaRaw = value;
    this.topViaVersion = this.headers.viaVersion;
    return true;
  }

  /** All Via values, parsed, top first. */
  get vias(): Via[] {
    if (this.viasVersion !== this.headers.viaVersion) {
      this._vias = null;
      this.viasVersion = this.headers.viaVersion;
    }
    return (this._vias ??= this.headers.hotValues(HotHeader.Via).map(parseVia));
  }

  /**
   * The top Via, parsed. Only the top value is parsed (from topViaRaw, whose
   * grammar check it shares) unless `vias` already parsed them all: a
   * response on its way back is routed by its top Via alone (RFC 3261
   * §18.2.2), and parsing every Via of a response through the edge — twice,
   * before and after popping ours — was paid on each one.
   */
  get topVia(): Via | undefined {
    const version = this.headers.viaVersion;
    if (this.viasVersion === version && this._vias !== null) return this._vias[0];
    if (this.topViaParsedVersion !== version) {
      const raw = this.topViaRaw;
      this._topVia = raw === undefined ? undefined : parseVia(raw);
      this.topViaParsedVersion = version;
    }
    return this._topVia;
  }

  get from(): NameAddr {
    this.refreshAddresses();
    return (this._from ??= parseRequired(this.headers, HotHeader.From, 'From'));
  }

  get to(): NameAddr {
    this.refreshAddresses();
    return (this._to ??= parseRequired(this.headers, HotHeader.To, 'To'));
  }

  get fromTag(): string | null {
    return this.from.params.get('tag') ?? null;
  }

  get toTag(): string | null {
    return this.to.params.get('tag') ?? null;
  }

  /** Route values, top first. */
  get routes(): NameAddr[] {
    return this.headers.hotValues(HotHeader.Route).map((v) => parseNameAddr(v));
  }

  get recordRoutes(): NameAddr[] {
    return this.headers.hotValues(HotHeader.RecordRoute).map((v) => parseNameAddr(v));
  }

  /** True when at least one Route header is present (no parsing). */
  get hasRoute(): boolean {
    return this.headers.getHot(HotHeader.Route) !== undefined;
  }

  /** Set the body and keep Content-Length true to it. */
  setBody(body: Buffer | string, contentType?: string): void {
    this.body = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    this.headers.set('Content-Length', String(this.body.length));
    if (contentType !== undefined) this.headers.set('Content-Type', contentType);
  }
}

export class SipRequest extends SipMessageBase {
  readonly isRequest = true as const;
  private _method: string;
  /** Request-URI as written */
  private _uri: string;
  private _parsedUri: Uri | null = null;
  private _version: string;
  /**
   * The start line was changed after parsing (set by the setters): until
   * then serializeMessage copies it from the source.
   */
  startLineEdited = false;

  constructor(
    method: string,
    uri: string,
    headers: SipHeaders,
    body: Buffer = Buffer.alloc(0),
    source: Buffer | null = null,
    headerOffset = 0,
    hot: HotFields | null = null,
    version = 'SIP/2.0',
    /** where the body starts in `source` (the rest of it): created on first read */
    bodyOffset = -1,
  ) {
    super(headers, body, source, headerOffset, hot, bodyOffset);
    this._method = method;
    this._uri = uri;
    this._version = version;
  }

  get method(): string {
    return this._method;
  }

  set method(value: string) {
    this._method = value;
    this.startLineEdited = true;
  }

  /** "SIP/2.0" */
  get version(): string {
    return this._version;
  }

  set version(value: string) {
    this._version = value;
    this.startLineEdited = true;
  }

  get uri(): string {
    return this._uri;
  }

  set uri(value: string) {
    this._uri = value;
    this._parsedUri = null;
    this.startLineEdited = true;
  }

  /** The Request-URI parsed (throws SipParseError when malformed). */
  get requestUri(): Uri {
    return (this._parsedUri ??= parseUri(this._uri));
  }

  get startLine(): string {
    return `${this._method} ${this._uri} ${this._version}`;
  }
}

export class SipResponse extends SipMessageBase {
  readonly isRequest = false as const;
  private _status: number;
  private _reason: string;
  private _version: string;
  /** The start line was changed after parsing (see SipRequest.startLineEdited). */
  startLineEdited = false;

  constructor(
    status: number,
    reason: string,
    headers: SipHeaders,
    body: Buffer = Buffer.alloc(0),
    source: Buffer | null = null,
    headerOffset = 0,
    hot: HotFields | null = null,
    version = 'SIP/2.0',
    /** where the body starts in `source` (the rest of it): created on first read */
    bodyOffset = -1,
  ) {
    super(headers, body, source, headerOffset, hot, bodyOffset);
    this._status = status;
    this._reason = reason;
    this._version = version;
  }

  get status(): number {
    return this._status;
  }

  set status(value: number) {
    this._status = value;
    this.startLineEdited = true;
  }

  get reason(): string {
    return this._reason;
  }

  set reason(value: string) {
    this._reason = value;
    this.startLineEdited = true;
  }

  get version(): string {
    return this._version;
  }

  set version(value: string) {
    this._version = value;
    this.startLineEdited = true;
  }

  get startLine(): string {
    return `${this._version} ${this._status} ${this._reason}`;
  }
}

export type SipMessage = SipRequest | SipResponse;

export function isRequest(m: SipMessage): m is SipRequest {
  return m.isRequest;
}

export function isResponse(m: SipMessage): m is SipResponse {
  return !m.isRequest;
}

// ---- hot field parsing, shared by the parser and the refresh above ----------

export interface HotFields {
  callId: string;
  cseq: CSeq | null;
  maxForwards: number | null;
  contentLength: number | null;
}

export function parseCSeqValue(value: string): CSeq {
  const v = unfold(value).trim();
  let i = 0;
  while (i < v.length && v.charCodeAt(i) >= 0x30 && v.charCodeAt(i) <= 0x39) i++;
  const seq = parseDecimal(v.slice(0, i), MAX_CSEQ);
  if (seq < 0) throw new SipParseError('BAD_CSEQ', `bad CSeq number "${v.slice(0, 40)}"`);
  const method = v.slice(i).trim();
  if (method.length === 0 || i === v.length || !/^[\w.!%*+`'~-]+$/.test(method)) {
    throw new SipParseError('BAD_CSEQ', `bad CSeq method "${method.slice(0, 40)}"`);
  }
  return { seq, method };
}

export function readHotFields(headers: SipHeaders): HotFields {
  const callId = headers.getHot(HotHeader.CallId);
  const cseq = headers.getHot(HotHeader.CSeq);
  const mf = headers.getHot(HotHeader.MaxForwards);
  const cl = headers.getHot(HotHeader.ContentLength);
  return {
    callId: callId === undefined ? '' : callId.trim(),
    cseq: cseq === undefined ? null : parseCSeqValue(cseq),
    maxForwards: mf === undefined ? null : parseMaxForwards(mf),
    contentLength: cl === undefined ? null : parseContentLength(cl),
  };
}

export function parseMaxForwards(value: string): number {
  const n = parseDecimal(value.trim(), 255);
  if (n < 0)
    throw new SipParseError('BAD_MAX_FORWARDS', `bad Max-Forwards "${value.slice(0, 40)}"`);
  return n;
}

export function parseContentLength(value: string): number {
  const n = parseDecimal(value.trim(), 2 ** 31 - 1);
  if (n < 0)
    throw new SipParseError('BAD_CONTENT_LENGTH', `bad Content-Length "${value.slice(0, 40)}"`);
  return n;
}

function parseRequired(headers: SipHeaders, hot: HotHeader, name: string): NameAddr {
  const v = headers.getHot(hot);
  if (v === undefined) throw new SipParseError('BAD_NAME_ADDR', `missing ${name}`);
  return parseNameAddr(v);
}
