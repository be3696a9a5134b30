/**
 * Latin-1 conversions between a Buffer and a string (one byte per character,
 * so string offsets equal byte offsets), called per message on the forward
 * path. Buffer.prototype.latin1Slice / latin1Write are what toString('latin1')
 * and write(…, 'latin1') end in; calling them directly skips the encoding
 * lookup and argument checks (≈ 30 ns per write, measured). They are not in
 * Node's typings, so they are looked up once, with the public calls as the
 * fallback.
 */
interface Latin1Native {
  latin1Slice?: (start?: number, end?: number) => string;
  latin1Write?: (text: string, offset?: number, length?: number) => number;
}

const proto = Buffer.prototype as Latin1Native;
const nativeSlice = typeof proto.latin1Slice === 'function';
const nativeWrite = typeof proto.latin1Write === 'function';

/**
 * buf[start, end) as a latin1 string. Omitted arguments are not parsed by
 * the binding (each one it reads is a conversion on the C++ side), so the
 * common whole-buffer decode passes none.
 */
export function latin1Text(buf: Buffer, start: number, end: number): string {
  if (!nativeSlice) return buf.toString('latin1', start, end);
  const native = buf as Latin1Native;
  return start === 0 && end === buf.length
    ? native.latin1Slice!()
    : native.latin1Slice!(start, end);
}

/**
 * Write `text` as latin1 at `at` (the caller sized `out`); returns the bytes
 * written. The length is the binding's default (the rest of `out`), and a
 * write at 0 passes no offset either.
 */
export function writeLatin1(out: Buffer, text: string, at: number): number {
  if (!nativeWrite) return out.write(text, at, 'latin1');
  const native = out as Latin1Native;
  return at === 0 ? native.latin1Write!(text) : native.latin1Write!(text, at);
}
