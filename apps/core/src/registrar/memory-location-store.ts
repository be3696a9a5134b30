/** The embedded default: bindings in process memory, expiry by clock. */
import type { Binding } from './binding.js';
import type { LocationStore } from './location-store.js';

export class MemoryLocationStore implements LocationStore {
  private readonly aors = new Map<string, Map<string, Binding>>();

  constructor(private readonly now: () => number = Date.now) {}

  get(aor: string): Promise<Binding[]> {
    const m = this.aors.get(aor);
    if (m === undefined) return Promise.resolve([]);
    const now = this.now();
    const live: Binding[] = [];
    for (const [contact, b] of m) {
      if (b.expiresAt > now) live.push(b);
      else m.delete(contact);
    }
    if (m.size === 0) this.aors.delete(aor);
    return Promise.resolve(live);
  }

  upsert(binding: Binding): Promise<void> {
    let m = this.aors.get(binding.aor);
    if (m === undefined) this.aors.set(binding.aor, (m = new Map<string, Binding>()));
    m.set(binding.contact, binding);
    return Promise.resolve();
  }

  remove(aor: string, contact: string): Promise<void> {
    const m = this.aors.get(aor);
    m?.delete(contact);
    if (m?.size === 0) this.aors.delete(aor);
    return Promise.resolve();
  }

  removeAll(aor: string): Promise<void> {
    this.aors.delete(aor);
    return Promise.resolve();
  }

  async listAors(): Promise<string[]> {
    const out: string[] = [];
    for (const aor of [...this.aors.keys()]) if ((await this.get(aor)).length > 0) out.push(aor);
    return out;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
