const CALL_ID = Buffer.from('\r\nCall-ID:', 'latin1');
const CALL_ID_COMPACT = Buffer.from('\r\ni:', 'latin1');

/** The Call-ID of a serialised message (long or compact form), for HEP correlation; null if none. */
export function callIdOf(buf: Uint8Array): string | null {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = b.indexOf(CALL_ID);
  let skip = CALL_ID.length;
  if (at < 0) {
    at = b.indexOf(CALL_ID_COMPACT);
    skip = CALL_ID_COMPACT.length;
  }
  if (at < 0) return null;
  const start = at + skip;
  const end = b.indexOf(13, start);
  if (end < 0) return null;
  return b.toString('latin1', start, end).trim() || null;
}
