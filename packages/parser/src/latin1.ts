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
  latin1Slice?: (start: number, end: number) => string;
  latin1Write?: (text: string, offset: number, length: number) => number;
}

const proto = Buffer.prototype as Latin1Native;
const nativeSlice = typeof proto.latin1Slice === 'function';
const nativeWrite = typeof proto.latin1Write === 'function';

/** buf[start, end) as a latin1 string. */
export function latin1Text(buf: Buffer, start: number, end: number): string {
  return nativeSlice
    ? (buf as Latin1Native).latin1Slice!(start, end)
    : buf.toString('latin1', start, end);
}

/** Write `text` as latin1 at `at` (the caller sized `out`); returns the bytes written. */
export function writeLatin1(out: Buffer, text: string, at: number): number {
  return nativeWrite
    ? (out as Latin1Native).latin1Write!(text, at, out.length - at)
    : out.write(text, at, 'latin1');
}
