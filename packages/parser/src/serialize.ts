/** serializeMessage: SipMessage → bytes. */
import { writeLatin1 } from './latin1.js';
import type { SipMessage } from './message.js';
import { allocOutput } from './output-buffer.js';

/**
 * An untouched parsed message serialises to exactly the bytes it came from.
 * After edits, untouched header lines are still copied verbatim; only the
 * start line (when changed) and the edited lines are written anew.
 */
export function serializeMessage(msg: SipMessage): Buffer {
  const source = msg.source;
  const headers = msg.headers;
  if (source !== null && msg.bodyInSource) {
    if (!headers.edited && !msg.startLineEdited) return source;
    // The proxy's forward (pushed Via / Record-Route, an edited or popped top
    // value): the header lines from some original line to the last are
    // untouched and are followed in the source by CRLF and the original body.
    // Write the start line and the lines before them as one latin1 string,
    // and take the rest from the source in one copy.
    const suffix = headers.untouchedSuffix();
    if (suffix >= 0) {
      const blank = headers.originalEnd();
      if (
        source[blank] === 0x0d &&
        source[blank + 1] === 0x0a &&
        blank + 2 + msg.bodyLength === source.length
      ) {
        const from = headers.originalStart(suffix);
        // an unchanged start line is the source's own text, line end included
        const head =
          (msg.startLineEdited ? msg.startLine + '\r\n' : headers.sourceText(0, msg.headerOffset)) +
          headers.serializeHead(suffix);
        const out = allocOutput(head.length + source.length - from);
        const shift = head.length - from;
        // The whole source set at `shift` lands its tail where it belongs
        // (no view object for the slice); the head then overwrites what fell
        // before it. A head shorter than what it replaces needs the view.
        if (shift >= 0) out.set(source, shift);
        else out.set(source.subarray(from), head.length);
        writeLatin1(out, head, 0);
        return out;
      }
    }
  }
  // One buffer of the exact size: the start line and the created lines are
  // written as latin1, untouched runs of original header lines are copied from
  // the source bytes (no string building, no re-encoding), then CRLF and body.
  const body = msg.body;
  const startLine = msg.startLine;
  const total = startLine.length + 2 + headers.serializedLength() + 2 + body.length;
  const out = allocOutput(total);
  let at = writeLatin1(out, startLine, 0);
  out[at++] = 0x0d;
  out[at++] = 0x0a;
  at = headers.writeTo(out, at, source);
  out[at++] = 0x0d;
  out[at++] = 0x0a;
  if (body.length > 0) body.copy(out, at);
  return out;
}

/** The message as text (for logs and tests); non-UTF-8 bytes are replaced. */
export function messageToString(msg: SipMessage): string {
  return serializeMessage(msg).toString('utf8');
}
