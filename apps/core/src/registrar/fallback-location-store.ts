/**
 * Redis locations with a local mirror: every write goes to both, reads come from Redis
 * and fall back to the mirror while Redis fails (issue #7: "Redis unavailable → new calls
 * still complete with local state"). Bindings registered on another core during an
 * outage are not known here until Redis returns; when it does, the mirror's bindings are
 * written back on the next successful read of their AoR.
 */
import type { Logger } from 'pino';
import type { Binding } from './binding.js';
import type { LocationStore } from './location-store.js';
import { MemoryLocationStore } from './memory-location-store.js';

export class FallbackLocationStore implements LocationStore {
  private readonly local = new MemoryLocationStore();
  /** AoRs written while Redis failed: re-synced when it answers again */
  private readonly dirty = new Set<string>();
  private degraded = false;

  constructor(
    private readonly primary: LocationStore,
    private readonly logger: Logger,
  ) {}

  get isDegraded(): boolean {
    return this.degraded;
  }

  async get(aor: string): Promise<Binding[]> {
    try {
      if (this.dirty.has(aor)) await this.resync(aor);
      const list = await this.primary.get(aor);
      this.ok();
      return list;
    } catch (err) {
      this.fail(err);
      return this.local.get(aor);
    }
  }

  async upsert(binding: Binding): Promise<void> {
    await this.local.upsert(binding);
    try {
      await this.primary.upsert(binding);
      this.ok();
    } catch (err) {
      this.dirty.add(binding.aor);
      this.fail(err);
    }
  }

  async remove(aor: string, contact: string): Promise<void> {
    await this.local.remove(aor, contact);
    try {
      await this.primary.remove(aor, contact);
    } catch (err) {
      this.dirty.add(aor);
      this.fail(err);
    }
  }

  async removeAll(aor: string): Promise<void> {
    await this.local.removeAll(aor);
    try {
      await this.primary.removeAll(aor);
    } catch (err) {
      this.dirty.add(aor);
      this.fail(err);
    }
  }

  async listAors(): Promise<string[]> {
    try {
      const list = await this.primary.listAors();
      this.ok();
      return list;
    } catch (err) {
      this.fail(err);
      return this.local.listAors();
    }
  }

  close(): Promise<void> {
    return this.primary.close();
  }

  private async resync(aor: string): Promise<void> {
    const mine = await this.local.get(aor);
    await this.primary.removeAll(aor);
    for (const b of mine) await this.primary.upsert(b);
    this.dirty.delete(aor);
  }

  private ok(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.logger.info('location store: Redis back');
  }

  private fail(err: unknown): void {
    if (this.degraded) return;
    this.degraded = true;
    this.logger.warn({ err }, 'location store: Redis failing, serving local bindings');
  }
}
