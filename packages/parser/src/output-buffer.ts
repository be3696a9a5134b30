/**
 * Output buffers for serializeMessage, cut from a 64 kB slab. Buffer.allocUnsafe
 * does the same from an 8 kB pool, so a forwarded 700-byte message paid for a
 * new pool (an ArrayBuffer from C++) every ~10 messages; the slab makes that
 * every ~90. A region is handed out once and never reused: dgram keeps a
 * reference to what it sends until its callback, and whoever holds an output
 * keeps its slab alive, as with Node's pool. Large outputs get their own buffer.
 */
const SLAB_SIZE = 64 * 1024;
const MAX_FROM_SLAB = 4096;

let slab: Buffer | null = null;
let used = 0;

export function allocOutput(size: number): Buffer {
  if (size > MAX_FROM_SLAB) return Buffer.allocUnsafe(size);
  if (slab === null || used + size > SLAB_SIZE) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    used = 0;
  }
  const out = slab.subarray(used, used + size);
  // 8-byte aligned starts, as Node's pool keeps them
  used = (used + size + 7) & ~7;
  return out;
}
