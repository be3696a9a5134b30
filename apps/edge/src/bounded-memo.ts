/**
 * Answers remembered per key, for work the edge would otherwise redo on every
 * request (a trusted-source check, a flow token's HMAC). Bounded: past `max`
 * keys the memory starts over, so a source that sprays addresses or ports
 * costs at most one recomputation per key, never unbounded memory.
 */
export class BoundedMemo<V> {
  private readonly map = new Map<string, V>();

  constructor(private readonly max = 8192) {}

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  set(key: string, value: V): void {
    if (this.map.size >= this.max) this.map.clear();
    this.map.set(key, value);
  }
}
