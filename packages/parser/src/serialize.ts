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
  const head = `${msg.startLine}\r\n${msg.headers.serialize()}\r\n`;
  if (msg.body.length === 0) return Buffer.from(head, 'latin1');
  const headLen = Buffer.byteLength(head, 'latin1');
  const out = Buffer.allocUnsafe(headLen + msg.body.length);
  out.write(head, 0, headLen, 'latin1');
  msg.body.copy(out, headLen);
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
