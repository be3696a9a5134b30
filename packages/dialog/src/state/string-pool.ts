/**
 * Bounded string interning for values that repeat across many dialogs (our own and the
 * edge's Record-Route entries, node names). Strings parsed from the wire or from Redis are
 * fresh copies per dialog; sharing one copy saves ~200 B per dialog. The bound keeps a
 * flood of distinct values (scanners) from growing the pool: past it, strings pass through.
 */
export class StringPool {
  private readonly pool = new Map<string, string>();

  constructor(private readonly maxEntries = 4096) {}

  intern(s: string): string {
    const hit = this.pool.get(s);
    if (hit !== undefined) return hit;
    if (this.pool.size < this.maxEntries) this.pool.set(s, s);
    return s;
  }

  get size(): number {
    return this.pool.size;
  }
}
