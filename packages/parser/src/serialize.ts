/** serializeMessage: SipMessage → bytes. */
import type { SipMessage } from './message.js';

/**
 * An untouched parsed message serialises to exactly the bytes it came from.
 * After edits, untouched header lines are still copied verbatim; only the
 * start line (when changed) and the edited lines are written anew.
 */
export function serializeMessage(msg: SipMessage): Buffer {
  const source = msg.source;
  if (
    source !== null &&
    !msg.headers.edited &&
    !msg.startLineEdited &&
    isOriginalBody(msg, source)
  ) {
    return source;
  }
  const headers = msg.headers;
  const body = msg.body;
  if (source !== null && isOriginalBody(msg, source)) {
    // The proxy's forward (pushed Via / Record-Route, a popped top value):
    // the header lines from some original line to the last are untouched and
    // are followed in the source by CRLF and the original body. Write the
    // start line and the lines before them as one latin1 string, then copy
    // the rest of the source in one go.
    const suffix = headers.untouchedSuffix();
    if (suffix >= 0) {
      const blank = headers.originalEnd();
      if (
        source[blank] === 0x0d &&
        source[blank + 1] === 0x0a &&
        blank + 2 + body.length === source.length
      ) {
        const from = headers.originalStart(suffix);
        const head = `${msg.startLine}\r\n${headers.serializeHead(suffix)}`;
        const rest = source.length - from;
        const out = Buffer.allocUnsafe(head.length + rest);
        out.write(head, 0, 'latin1');
        out.set(new Uint8Array(source.buffer, source.byteOffset + from, rest), head.length);
        return out;
      }
    }
  }
  // One buffer of the exact size: the start line and the created lines are
  // written as latin1, untouched runs of original header lines are copied from
  // the source bytes (no string building, no re-encoding), then CRLF and body.
  const startLine = msg.startLine;
  const total = startLine.length + 2 + headers.serializedLength() + 2 + body.length;
  const out = Buffer.allocUnsafe(total);
  let at = out.write(startLine, 0, 'latin1');
  out[at++] = 0x0d;
  out[at++] = 0x0a;
  at = headers.writeTo(out, at, source);
  out[at++] = 0x0d;
  out[at++] = 0x0a;
  if (body.length > 0) body.copy(out, at);
  return out;
}

/** The body still is the tail of the source buffer (not replaced since parsing). */
function isOriginalBody(msg: SipMessage, source: Buffer): boolean {
  const body = msg.body;
  if (body.length === 0) return true;
  return (
    body.buffer === source.buffer &&
    body.byteOffset + body.length === source.byteOffset + source.length
  );
}

/** The message as text (for logs and tests); non-UTF-8 bytes are replaced. */
export function messageToString(msg: SipMessage): string {
  return serializeMessage(msg).toString('utf8');
}
