/**
 * StreamFramer: cuts SIP messages out of a byte stream (TCP, TLS) by
 * Content-Length (RFC 3261 §18.3), and reports RFC 5626 §3.5.1 keep-alives:
 * a double CRLF "ping" (answer it with a single CRLF) and a single CRLF "pong".
 * Memory is bounded by maxMessageSize; work per byte is amortised constant.
 */
import { SipParseError } from './errors.js';
import { DEFAULT_LIMITS } from './limits.js';
import { findHeaderEnd } from './parse.js';
import { parseDecimal } from './grammar.js';

export interface StreamFramerHandlers {
  /** one complete message (its own copy of the bytes) */
  onMessage(message: Buffer): void;
  /** 'ping' = CRLFCRLF received (answer with CRLF); 'pong' = a lone CRLF */
  onKeepAlive?(kind: 'ping' | 'pong'): void;
  /**
   * The stream cannot be framed any further (the connection should answer, when
   * `head` holds a request's headers, and close). `head` is the header section
   * read so far, or null.
   */
  onError(error: SipParseError, head: Buffer | null): void;
}

export interface StreamFramerOptions {
  maxMessageSize?: number;
}

const CR = 0x0d;
const LF = 0x0a;

export class StreamFramer {
  private readonly handlers: StreamFramerHandlers;
  private readonly maxMessageSize: number;
  private store: Buffer;
  private start = 0;
  private end = 0;
  /** where to resume looking for the end of the headers */
  private scanFrom = 0;
  /** length of the message being read once its headers are known, else -1 */
  private need = -1;
  private failed = false;

  constructor(handlers: StreamFramerHandlers, options: StreamFramerOptions = {}) {
    this.handlers = handlers;
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_LIMITS.maxMessageSize;
    this.store = Buffer.allocUnsafe(4096);
  }

  /** Bytes held waiting for the rest of a message. */
  get buffered(): number {
    return this.end - this.start;
  }

  get closed(): boolean {
    return this.failed;
  }

  push(chunk: Uint8Array): void {
    if (this.failed || chunk.length === 0) return;
    this.append(chunk);
    this.drain();
  }

  private append(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.store.length) {
      const live = this.end - this.start;
      if (live + chunk.length <= this.store.length && this.start > 0) {
        this.store.copyWithin(0, this.start, this.end);
      } else {
        const grown = Buffer.allocUnsafe(Math.max(this.store.length * 2, live + chunk.length));
        this.store.copy(grown, 0, this.start, this.end);
        this.store = grown;
      }
      this.scanFrom -= this.start;
      this.start = 0;
      this.end = live;
    }
    this.store.set(chunk, this.end);
    this.end += chunk.length;
  }

  private drain(): void {
    const s = this.store;
    while (!this.failed) {
      const avail = this.end - this.start;
      if (avail === 0) {
        this.start = this.end = this.scanFrom = 0;
        return;
      }
      if (this.need < 0) {
        const c = s[this.start];
        if (c === CR || c === LF) {
          if (!this.keepAlive(avail)) return;
          continue;
        }
        const from = Math.max(this.start, this.scanFrom);
        const view = s.subarray(this.start, this.end);
        const { headerEnd, bodyStart } = findHeaderEnd(view, from - this.start);
        if (headerEnd < 0) {
          if (avail > this.maxMessageSize) return this.fail(tooLarge(), null);
          this.scanFrom = Math.max(this.start, this.end - 3);
          return;
        }
        const head = view.subarray(0, headerEnd);
        let cl: number;
        try {
          cl = contentLengthOf(head);
        } catch (err) {
          return this.fail(err as SipParseError, Buffer.from(head));
        }
        this.need = bodyStart + cl;
        if (this.need > this.maxMessageSize) return this.fail(tooLarge(), Buffer.from(head));
      }
      if (avail < this.need) return;
      const message = Buffer.from(s.subarray(this.start, this.start + this.need));
      this.start += this.need;
      this.scanFrom = this.start;
      this.need = -1;
      this.handlers.onMessage(message);
    }
  }

  /** Consume a keep-alive at the front. Returns false when more bytes are needed. */
  private keepAlive(avail: number): boolean {
    const s = this.store;
    const i = this.start;
    if (s[i] === LF) {
      // stray LF between messages: tolerated and skipped
      this.start++;
      return true;
    }
    if (avail < 2) return false;
    if (s[i + 1] !== LF) {
      this.start++;
      return true;
    }
    if (avail === 2) {
      this.start += 2;
      this.handlers.onKeepAlive?.('pong');
      return true;
    }
    if (s[i + 2] === CR) {
      if (avail < 4) return false;
      if (s[i + 3] === LF) {
        this.start += 4;
        this.handlers.onKeepAlive?.('ping');
        return true;
      }
    }
    this.start += 2;
    this.handlers.onKeepAlive?.('pong');
    return true;
  }

  private fail(error: SipParseError, head: Buffer | null): void {
    this.failed = true;
    this.start = this.end = 0;
    this.handlers.onError(error, head);
  }
}

function tooLarge(): SipParseError {
  return new SipParseError('MESSAGE_TOO_LARGE', 'message exceeds the maximum size', 413);
}

/** Content-Length (or "l") of a header section; a stream message without it cannot be framed. */
function contentLengthOf(head: Buffer): number {
  const text = head.toString('latin1');
  let value: number | null = null;
  let p = 0;
  while (p < text.length) {
    let e = text.indexOf('\n', p);
    if (e < 0) e = text.length;
    const c = text.charCodeAt(p) | 0x20;
    if (c === 0x63 /* c */ || c === 0x6c /* l */) {
      const colon = text.indexOf(':', p);
      if (colon > 0 && colon < e) {
        const name = text.slice(p, colon).trim().toLowerCase();
        if (name === 'content-length' || name === 'l') {
          const n = parseDecimal(text.slice(colon + 1, e).trim(), 2 ** 31 - 1);
          if (n < 0) throw new SipParseError('BAD_CONTENT_LENGTH', 'bad Content-Length');
          if (value !== null && value !== n)
            throw new SipParseError('BAD_CONTENT_LENGTH', 'multiple Content-Length values');
          value = n;
        }
      }
    }
    p = e + 1;
  }
  if (value === null) {
    // RFC 3261 §18.3: on a stream transport Content-Length MUST be present
    throw new SipParseError(
      'MISSING_CONTENT_LENGTH',
      'Content-Length is mandatory on a stream transport',
    );
  }
  return value;
}
